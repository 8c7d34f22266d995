//! The SQLite implementation of [`Store`]: the embedded default.
//!
//! Concurrency rests on SQLite's single writer: every write transaction starts
//! with a write statement, so it takes the write lock first and waits on the
//! busy timeout instead of failing to upgrade a read lock. A job claim is one
//! `UPDATE ... WHERE id = (SELECT ...) RETURNING`, which SQLite runs under the
//! write lock from its first step, so two workers can never take one job.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Row, Sqlite, Transaction};
use time::OffsetDateTime;

use crate::coach_model::{
    CoachMetricGroup, CoachMetricQuery, CoachMoments, CoachRecording, CoachRecordingQuery,
    CoachSearchHit,
};
use crate::companion_model::{StoredCompanion, UploadExtras, UploadUse, UploadWithOutcome};
use crate::error::StoreError;
use crate::identity_model::KindIdentities;
use crate::model::{
    AnalysisOutput, ApiToken, Backoff, BudgetReservation, BudgetSettlement, BudgetStatus,
    ClaimedJob, Conversation, ConversationSummary, FailOutcome, IdentityLink, Job, JobCounts,
    MessagePage, MetricPoint, NewConversation, NewMessage, NewSession, NewUpload, NewUsageRecord,
    NodeRecord, Note, RateAdmission, RateWindow, ReanalysisScope, Recording, RecordingFacets,
    RecordingFilter, RecordingPage, RecordingQuery, RecordingSummary, Session, StoredAnalysis,
    StoredMessage, UploadOutcome, UsageRecord, UsageTotals, User, UserJob,
};
use crate::store::Store;
use crate::types::{
    ApiTokenId, BudgetReservationId, ConversationId, JobId, JobState, MessageId, NoteAuthor,
    NoteId, RecordingId, Sha256Hex, UserId, Username,
};

mod coach;
mod coach_reads;
mod companions;
mod identity;
mod list;
mod neutral;
mod nodes;
mod rights;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// How long a write waits for another connection's write to finish.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// A [`Store`] on one SQLite database file (or in memory, for tests).
#[derive(Clone, Debug)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// Reports handed out by `analysis_for_owner`, for [`Store::reports_read`].
    reports_read: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

/// Rows a statement may have ready before the caller reads them.
const ROW_BUFFER: usize = 512;

impl SqliteStore {
    /// Opens (creating if missing) the database at a `sqlite:` URL and runs
    /// the migrations. `sqlite::memory:` gives a private in-memory database.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        if !url.to_ascii_lowercase().starts_with("sqlite:") {
            return Err(StoreError::InvalidUrl(format!(
                "{url:?} is not a sqlite: URL"
            )));
        }
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::InvalidUrl(format!("{url:?}: {e}")))?
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            // A list page is up to 501 rows (limit 500, one more to see a
            // next page); with sqlx's default of 50 the connection's thread
            // stalls until the request's task drains them, and both wake
            // each other once per 50 rows.
            .row_buffer_size(ROW_BUFFER);
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let pool = if in_memory {
            // Every connection to `:memory:` would be a different database:
            // keep exactly one, forever.
            SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect_with(options)
                .await?
        } else {
            let path = options.get_filename().to_owned();
            if path.as_os_str().is_empty() {
                return Err(StoreError::InvalidUrl(format!(
                    "{url:?} names no database file: use sqlite://PATH or sqlite::memory:"
                )));
            }
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(|e| {
                    StoreError::InvalidUrl(format!(
                        "cannot create the database directory {}: {e}",
                        parent.display()
                    ))
                })?;
            }
            let options = options
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal);
            SqlitePoolOptions::new()
                .max_connections(4)
                .connect_with(options)
                .await?
        };
        MIGRATOR.run(&pool).await.map_err(StoreError::Migration)?;
        Ok(Self {
            pool,
            reports_read: Default::default(),
        })
    }

    /// The underlying pool, for diagnostics (`/status`) and tests.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// `EXPLAIN QUERY PLAN` of the statements [`Store::list_recordings_page`]
    /// runs for `query` (the page, then the total), one line per step,
    /// indented by depth: for tests that hold every list query to an index,
    /// and for diagnosing a slow list.
    pub async fn list_plans(
        &self,
        owner: UserId,
        query: &RecordingQuery,
    ) -> Result<Vec<Vec<String>>, StoreError> {
        list::list_plans(&self.pool, &owner.to_string(), query).await
    }

    /// `EXPLAIN QUERY PLAN` of the statements [`Store::list_recordings`]
    /// and [`Store::count_recordings`] (the games list) run for `filter`,
    /// as [`Self::list_plans`].
    pub async fn games_plans(
        &self,
        owner: UserId,
        filter: &RecordingFilter,
    ) -> Result<Vec<Vec<String>>, StoreError> {
        list::games_plans(&self.pool, &owner.to_string(), filter).await
    }

    /// `EXPLAIN QUERY PLAN` (as [`Self::list_plans`]) of the coach's read of
    /// a batch's side metrics (for recordings listed first) and of the
    /// inference of "me" by count, for `owner` and `kind`, in that order.
    pub async fn coach_batch_plans(
        &self,
        owner: UserId,
        kind: &str,
    ) -> Result<Vec<Vec<String>>, StoreError> {
        let sides = vec![
            Bind::Text("[\"a\", \"b\"]".to_owned()),
            Bind::Text("[\"core.goals\"]".to_owned()),
        ];
        let inference = vec![Bind::Text(owner.to_string()), Bind::Text(kind.to_owned())];
        let mut plans = Vec::new();
        for (sql, binds) in [
            (coach_reads::SIDE_METRICS, sides),
            (identity::INFERENCE_BY_COUNT, inference),
        ] {
            plans.push(list::explain(&self.pool, sql, binds).await?);
        }
        Ok(plans)
    }

    /// `EXPLAIN QUERY PLAN` (as [`Self::list_plans`]) of the reads that
    /// aggregate over a whole library: [`Store::my_metric_series`] of
    /// `kind` and `metric`, [`Store::coach_metric_groups`] of `aggregate`, and
    /// [`Store::coach_search`] of `text`, in that order.
    pub async fn library_read_plans(
        &self,
        owner: UserId,
        kind: &str,
        metric: &str,
        aggregate: &CoachMetricQuery,
        text: &str,
    ) -> Result<Vec<Vec<String>>, StoreError> {
        let user = owner.to_string();
        let series = vec![
            Bind::Text(metric.to_owned()),
            Bind::Text(user.clone()),
            Bind::Text(kind.to_owned()),
        ];
        let (groups, group_binds) = coach_reads::metric_groups_sql(owner, aggregate);
        let search = vec![
            Bind::Text(user),
            Bind::Text(coach_reads::fts_query(text).unwrap_or_default()),
            Bind::Int(50),
        ];
        let mut plans = Vec::new();
        for (sql, binds) in [
            (neutral::MY_METRIC_SERIES, series),
            (groups.as_str(), group_binds),
            (coach_reads::SEARCH, search),
        ] {
            plans.push(list::explain(&self.pool, sql, binds).await?);
        }
        Ok(plans)
    }
}

// ---- conversions (shared with PostgreSQL in `crate::rows`) ----

use crate::rows::{
    from_opt_ts, from_ts, parse_id, parse_kind, parse_sha, secs, to_i64, to_u32, to_u64, ts,
};

fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
}

const USER_COLS: &str = "u.id AS u_id, u.username AS u_username, \
    u.password_hash AS u_password_hash, u.is_admin AS u_is_admin, u.created_at AS u_created_at";

fn user_from_row(row: &SqliteRow) -> Result<User, StoreError> {
    let username: String = row.try_get("u_username")?;
    Ok(User {
        id: parse_id(&row.try_get::<String, _>("u_id")?, "user id")?,
        username: Username::parse(&username)
            .map_err(|e| StoreError::Corrupt(format!("username {username:?}: {e}")))?,
        password_hash: row.try_get("u_password_hash")?,
        is_admin: row.try_get::<i64, _>("u_is_admin")? != 0,
        created_at: from_ts(row.try_get("u_created_at")?)?,
    })
}

fn job_cols(prefix: &str) -> String {
    [
        "id",
        "recording_id",
        "state",
        "attempts",
        "max_attempts",
        "last_error",
        "worker_id",
        "lease_until",
        "run_after",
        "created_at",
        "updated_at",
        "finished_at",
    ]
    .iter()
    .map(|c| format!("{prefix}{c} AS job_{c}"))
    .collect::<Vec<_>>()
    .join(", ")
}

fn job_from_row(row: &SqliteRow) -> Result<Job, StoreError> {
    let state: String = row.try_get("job_state")?;
    Ok(Job {
        id: parse_id(&row.try_get::<String, _>("job_id")?, "job id")?,
        recording_id: parse_id(
            &row.try_get::<String, _>("job_recording_id")?,
            "recording id",
        )?,
        state: JobState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("job state {state:?}")))?,
        attempts: to_u32(row.try_get("job_attempts")?, "attempts")?,
        max_attempts: to_u32(row.try_get("job_max_attempts")?, "max_attempts")?,
        last_error: row.try_get("job_last_error")?,
        worker_id: row.try_get("job_worker_id")?,
        lease_until: from_opt_ts(row.try_get("job_lease_until")?)?,
        run_after: from_ts(row.try_get("job_run_after")?)?,
        created_at: from_ts(row.try_get("job_created_at")?)?,
        updated_at: from_ts(row.try_get("job_updated_at")?)?,
        finished_at: from_opt_ts(row.try_get("job_finished_at")?)?,
    })
}

/// A value bound to a `?` of a dynamically built query.
#[derive(Clone)]
enum Bind {
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

fn bind_all<'q>(
    mut query: sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments<'q>>,
    binds: Vec<Bind>,
) -> sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments<'q>> {
    for bind in binds {
        query = match bind {
            Bind::Int(n) => query.bind(n),
            Bind::Real(x) => query.bind(x),
            Bind::Text(s) => query.bind(s),
            Bind::Blob(b) => query.bind(b),
        };
    }
    query
}

async fn fetch_user(
    executor: impl sqlx::SqliteExecutor<'_>,
    id: &str,
) -> Result<Option<User>, StoreError> {
    let row = sqlx::query(&format!("SELECT {USER_COLS} FROM users u WHERE u.id = ?"))
        .bind(id)
        .fetch_optional(executor)
        .await?;
    row.as_ref().map(user_from_row).transpose()
}

async fn save_analysis(
    tx: &mut Transaction<'_, Sqlite>,
    recording: &str,
    output: &AnalysisOutput,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    let summary = &output.summary;
    sqlx::query(
        "UPDATE recordings SET analysis_json = ?, analyzed_at = ?, played_at = ?, map = ?,
            match_type = ?, team_size = ?, score_blue = ?, score_orange = ?
         WHERE id = ?",
    )
    .bind(&output.report_json)
    .bind(ts(now))
    .bind(summary.played_at.map(ts))
    .bind(&summary.map)
    .bind(&summary.match_type)
    .bind(summary.team_size.map(i64::from))
    .bind(i64::from(summary.score[0]))
    .bind(i64::from(summary.score[1]))
    .bind(recording)
    .execute(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM recording_players WHERE recording_id = ?")
        .bind(recording)
        .execute(&mut **tx)
        .await?;
    for (position, player) in summary.players.iter().enumerate() {
        sqlx::query(
            "INSERT INTO recording_players (recording_id, position, name, player_id, team)
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(recording)
        .bind(to_i64(position as u64, "player position")?)
        .bind(&player.name)
        .bind(&player.id)
        .bind(i64::from(player.team))
        .execute(&mut **tx)
        .await?;
    }
    if let Some(analysis) = &output.neutral {
        neutral::save(tx, recording, analysis).await?;
    }
    Ok(())
}

#[async_trait]
impl Store for SqliteStore {
    async fn stored_analysis_for_owner(
        &self,
        owner: UserId,
        id: RecordingId,
    ) -> Result<Option<StoredAnalysis>, StoreError> {
        // One read transaction: the rows of one analysis, never half of a
        // re-analysis that commits in between.
        let mut tx = self.pool.begin().await?;
        let loaded = neutral::load_for_owner(&mut tx, &owner.to_string(), &id.to_string()).await;
        tx.rollback().await?;
        loaded
    }

    async fn list_recordings_page(
        &self,
        owner: UserId,
        query: &RecordingQuery,
    ) -> Result<RecordingPage, StoreError> {
        list::recordings_page(&self.pool, &owner.to_string(), query).await
    }

    async fn my_metric_series(
        &self,
        owner: UserId,
        kind: &str,
        metric: &str,
    ) -> Result<Vec<MetricPoint>, StoreError> {
        neutral::my_metric_series(&self.pool, &owner.to_string(), kind, metric).await
    }

    async fn link_identity(
        &self,
        user: UserId,
        kind: &str,
        participant: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        neutral::link(&mut tx, &user.to_string(), kind, participant, now)
            .await
            .map_err(|e| match e {
                StoreError::Database(sqlx::Error::Database(db))
                    if db.is_foreign_key_violation() =>
                {
                    StoreError::NotFound { entity: "user" }
                }
                other => other,
            })?;
        // The user's own link replaces the inferred one.
        identity::infer(&mut tx, &user.to_string(), kind).await?;
        neutral::refresh_outcomes(&mut *tx, neutral::Scope::User(&user.to_string())).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn unlink_identity(
        &self,
        user: UserId,
        kind: &str,
        participant: &str,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let removed = sqlx::query(
            "DELETE FROM identity_links WHERE user_id = ? AND kind = ? AND participant = ?",
        )
        .bind(user.to_string())
        .bind(kind)
        .bind(participant)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            > 0;
        // Without links of their own, the inferred one comes back.
        identity::infer(&mut tx, &user.to_string(), kind).await?;
        neutral::refresh_outcomes(&mut *tx, neutral::Scope::User(&user.to_string())).await?;
        tx.commit().await?;
        Ok(removed)
    }

    async fn identity_links(&self, user: UserId) -> Result<Vec<IdentityLink>, StoreError> {
        neutral::links(&self.pool, &user.to_string()).await
    }

    async fn identities(&self, user: UserId) -> Result<Vec<KindIdentities>, StoreError> {
        identity::identities(&self.pool, &user.to_string()).await
    }

    async fn set_identity_links(
        &self,
        user: UserId,
        kind: &str,
        participants: &[String],
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let id = user.to_string();
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "DELETE FROM identity_links WHERE user_id = ? AND kind = ? AND source = 'user'",
        )
        .bind(&id)
        .bind(kind)
        .execute(&mut *tx)
        .await?;
        for participant in participants {
            neutral::link(&mut tx, &id, kind, participant, now)
                .await
                .map_err(|e| match e {
                    StoreError::Database(sqlx::Error::Database(db))
                        if db.is_foreign_key_violation() =>
                    {
                        StoreError::NotFound { entity: "user" }
                    }
                    other => other,
                })?;
        }
        identity::infer(&mut tx, &id, kind).await?;
        neutral::refresh_outcomes(&mut *tx, neutral::Scope::User(&id)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn coach_recordings(
        &self,
        owner: UserId,
        query: &CoachRecordingQuery,
    ) -> Result<Vec<CoachRecording>, StoreError> {
        coach_reads::recordings(&self.pool, owner, query).await
    }

    async fn coach_moments(
        &self,
        owner: UserId,
        recording: RecordingId,
        event_kinds: &[String],
    ) -> Result<Option<CoachMoments>, StoreError> {
        coach_reads::moments(&self.pool, owner, recording, event_kinds).await
    }

    async fn coach_search(
        &self,
        owner: UserId,
        text: &str,
        limit: u32,
    ) -> Result<Vec<CoachSearchHit>, StoreError> {
        coach_reads::search(&self.pool, owner, text, limit).await
    }

    async fn coach_metric_groups(
        &self,
        owner: UserId,
        query: &CoachMetricQuery,
    ) -> Result<Vec<CoachMetricGroup>, StoreError> {
        coach_reads::metric_groups(&self.pool, owner, query).await
    }

    fn reports_read(&self) -> u64 {
        self.reports_read.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(username = %username))]
    async fn create_user(
        &self,
        username: &Username,
        password_hash: &str,
        now: OffsetDateTime,
    ) -> Result<User, StoreError> {
        let id = UserId::new_random();
        let row = sqlx::query(
            "INSERT INTO users (id, username, password_hash, is_admin, created_at)
             SELECT ?, ?, ?, NOT EXISTS (SELECT 1 FROM users), ?
             RETURNING is_admin",
        )
        .bind(id.to_string())
        .bind(username.as_str())
        .bind(password_hash)
        .bind(ts(now))
        .fetch_one(&self.pool)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Conflict { what: "username" }
            } else {
                StoreError::Database(e)
            }
        })?;
        Ok(User {
            id,
            username: username.clone(),
            password_hash: password_hash.to_owned(),
            is_admin: row.try_get::<i64, _>("is_admin")? != 0,
            created_at: from_ts(ts(now))?,
        })
    }

    async fn user_by_id(&self, id: UserId) -> Result<Option<User>, StoreError> {
        fetch_user(&self.pool, &id.to_string()).await
    }

    async fn user_by_username(&self, username: &Username) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLS} FROM users u WHERE u.username = ? COLLATE NOCASE"
        ))
        .bind(username.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {USER_COLS} FROM users u ORDER BY u.created_at, u.rowid"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(user_from_row).collect()
    }

    async fn count_users(&self) -> Result<u64, StoreError> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await?;
        to_u64(count, "user count")
    }

    async fn set_password_hash(&self, id: UserId, password_hash: &str) -> Result<(), StoreError> {
        let done = sqlx::query("UPDATE users SET password_hash = ? WHERE id = ?")
            .bind(password_hash)
            .bind(id.to_string())
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound { entity: "user" });
        }
        Ok(())
    }

    async fn set_user_plan(&self, id: UserId, plan: Option<&str>) -> Result<(), StoreError> {
        let done = sqlx::query("UPDATE users SET plan = ? WHERE id = ?")
            .bind(plan)
            .bind(id.to_string())
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound { entity: "user" });
        }
        Ok(())
    }

    async fn user_plan(&self, id: UserId) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar::<_, Option<String>>("SELECT plan FROM users WHERE id = ?")
                .bind(id.to_string())
                .fetch_optional(&self.pool)
                .await?
                .flatten(),
        )
    }

    async fn set_player_names(
        &self,
        id: UserId,
        names: &[String],
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM user_player_names WHERE user_id = ?")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        for name in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
            sqlx::query("INSERT OR IGNORE INTO user_player_names (user_id, name) VALUES (?, ?)")
                .bind(id.to_string())
                .bind(name)
                .execute(&mut *tx)
                .await
                .map_err(|e| match &e {
                    sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                        StoreError::NotFound { entity: "user" }
                    }
                    _ => StoreError::Database(e),
                })?;
        }
        // Until the identity prompt replaces this form, the player names are
        // the user's Rocket League links: a platform id as it is, a plain
        // name as a `name:` link (matched by display name).
        // The player-names form predates the domains and is Rocket League's.
        let kind = "rl_replay";
        sqlx::query("DELETE FROM identity_links WHERE user_id = ? AND kind = ?")
            .bind(id.to_string())
            .bind(kind)
            .execute(&mut *tx)
            .await?;
        for name in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
            let key = if name.contains(':') {
                name.to_owned()
            } else {
                format!("name:{name}")
            };
            neutral::link(&mut tx, &id.to_string(), kind, &key, now).await?;
        }
        // No names leaves the kind to inference again.
        identity::infer(&mut tx, &id.to_string(), kind).await?;
        neutral::refresh_outcomes(&mut *tx, neutral::Scope::User(&id.to_string())).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn player_names(&self, id: UserId) -> Result<Vec<String>, StoreError> {
        Ok(
            sqlx::query_scalar(
                "SELECT name FROM user_player_names WHERE user_id = ? ORDER BY name",
            )
            .bind(id.to_string())
            .fetch_all(&self.pool)
            .await?,
        )
    }

    async fn create_session(&self, session: &NewSession) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at)
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(session.id_hash.as_str())
        .bind(session.user_id.to_string())
        .bind(&session.csrf_token)
        .bind(ts(session.created_at))
        .bind(ts(session.expires_at))
        .execute(&self.pool)
        .await
        .map_err(|e| match &e {
            _ if is_unique_violation(&e) => StoreError::Conflict { what: "session" },
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                StoreError::NotFound { entity: "user" }
            }
            _ => StoreError::Database(e),
        })?;
        Ok(())
    }

    async fn session_by_hash(
        &self,
        id_hash: &Sha256Hex,
        now: OffsetDateTime,
    ) -> Result<Option<Session>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT s.id_hash, s.csrf_token, s.created_at, s.expires_at, {USER_COLS}
             FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.id_hash = ? AND s.expires_at > ?"
        ))
        .bind(id_hash.as_str())
        .bind(ts(now))
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(Session {
                id_hash: parse_sha(&row.try_get::<String, _>("id_hash")?)?,
                user: user_from_row(&row)?,
                csrf_token: row.try_get("csrf_token")?,
                created_at: from_ts(row.try_get("created_at")?)?,
                expires_at: from_ts(row.try_get("expires_at")?)?,
            })
        })
        .transpose()
    }

    async fn delete_session(&self, id_hash: &Sha256Hex) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = ?")
            .bind(id_hash.as_str())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn delete_user_sessions(&self, user: UserId) -> Result<u64, StoreError> {
        Ok(sqlx::query("DELETE FROM sessions WHERE user_id = ?")
            .bind(user.to_string())
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    async fn create_api_token(
        &self,
        user: UserId,
        name: &str,
        token_hash: &Sha256Hex,
        now: OffsetDateTime,
    ) -> Result<ApiToken, StoreError> {
        let id = ApiTokenId::new_random();
        sqlx::query(
            "INSERT INTO api_tokens (id, user_id, name, token_hash, created_at)
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(id.to_string())
        .bind(user.to_string())
        .bind(name)
        .bind(token_hash.as_str())
        .bind(ts(now))
        .execute(&self.pool)
        .await
        .map_err(|e| match &e {
            _ if is_unique_violation(&e) => StoreError::Conflict { what: "api token" },
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                StoreError::NotFound { entity: "user" }
            }
            _ => StoreError::Database(e),
        })?;
        Ok(ApiToken {
            id,
            user_id: user,
            name: name.to_owned(),
            created_at: from_ts(ts(now))?,
            last_used_at: None,
        })
    }

    async fn list_api_tokens(&self, user: UserId) -> Result<Vec<ApiToken>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, user_id, name, created_at, last_used_at FROM api_tokens
             WHERE user_id = ? AND revoked_at IS NULL ORDER BY created_at DESC, rowid DESC",
        )
        .bind(user.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ApiToken {
                    id: parse_id(&row.try_get::<String, _>("id")?, "token id")?,
                    user_id: parse_id(&row.try_get::<String, _>("user_id")?, "user id")?,
                    name: row.try_get("name")?,
                    created_at: from_ts(row.try_get("created_at")?)?,
                    last_used_at: from_opt_ts(row.try_get("last_used_at")?)?,
                })
            })
            .collect()
    }

    async fn revoke_api_token(
        &self,
        user: UserId,
        token: ApiTokenId,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = ?
             WHERE id = ? AND user_id = ? AND revoked_at IS NULL",
        )
        .bind(ts(now))
        .bind(token.to_string())
        .bind(user.to_string())
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                entity: "api token",
            });
        }
        Ok(())
    }

    async fn user_by_api_token(
        &self,
        token_hash: &Sha256Hex,
        now: OffsetDateTime,
    ) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLS}, t.last_used_at AS t_last_used_at
             FROM api_tokens t JOIN users u ON u.id = t.user_id
             WHERE t.token_hash = ? AND t.revoked_at IS NULL"
        ))
        .bind(token_hash.as_str())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let stale_before = ts(now - crate::store::TOKEN_LAST_USED_EVERY);
        let last_used: Option<i64> = row.try_get("t_last_used_at")?;
        if last_used.is_none_or(|t| t <= stale_before) {
            // The WHERE repeats the check so that processes racing on one
            // token still write once.
            sqlx::query(
                "UPDATE api_tokens SET last_used_at = ?
                 WHERE token_hash = ? AND (last_used_at IS NULL OR last_used_at <= ?)",
            )
            .bind(ts(now))
            .bind(token_hash.as_str())
            .bind(stale_before)
            .execute(&self.pool)
            .await?;
        }
        user_from_row(&row).map(Some)
    }

    async fn revoke_user_api_tokens(
        &self,
        user: UserId,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        Ok(sqlx::query(
            "UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
        )
        .bind(ts(now))
        .bind(user.to_string())
        .execute(&self.pool)
        .await?
        .rows_affected())
    }

    async fn server_secret(
        &self,
        name: &str,
        candidate: &str,
        now: OffsetDateTime,
    ) -> Result<String, StoreError> {
        sqlx::query(
            "INSERT INTO server_secrets (name, value, created_at) VALUES (?, ?, ?)
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(candidate)
        .bind(ts(now))
        .execute(&self.pool)
        .await?;
        Ok(
            sqlx::query_scalar("SELECT value FROM server_secrets WHERE name = ?")
                .bind(name)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    async fn add_upload(
        &self,
        upload: &NewUpload,
        now: OffsetDateTime,
        max_queue_depth: u64,
    ) -> Result<UploadOutcome, StoreError> {
        let extras = UploadExtras::default();
        self.add_upload_with(upload, &extras, now, max_queue_depth)
            .await
            .map(|outcome| outcome.upload)
    }

    #[tracing::instrument(skip_all, fields(sha256 = %upload.sha256, owner = %upload.owner))]
    async fn add_upload_with(
        &self,
        upload: &NewUpload,
        extras: &UploadExtras,
        now: OffsetDateTime,
        max_queue_depth: u64,
    ) -> Result<UploadWithOutcome, StoreError> {
        let mut tx = self.pool.begin().await?;
        // A write first, so this transaction holds the write lock from here on.
        let new_id = RecordingId::new_random();
        let inserted = sqlx::query(
            "INSERT INTO recordings (id, sha256, size, kind, created_at, length_s)
             VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(new_id.to_string())
        .bind(upload.sha256.as_str())
        .bind(to_i64(upload.size, "size")?)
        .bind(upload.kind.as_str())
        .bind(ts(now))
        .bind(extras.length_s)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        let recording = if inserted {
            let depth: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM jobs
                 WHERE state IN ('queued', 'running') AND purpose = 'upload'",
            )
            .fetch_one(&mut *tx)
            .await?;
            let depth = to_u64(depth, "queue depth")?;
            if depth >= max_queue_depth {
                tx.rollback().await?;
                return Err(StoreError::QueueFull {
                    depth,
                    max: max_queue_depth,
                });
            }
            new_id
        } else {
            let id: String = sqlx::query_scalar("SELECT id FROM recordings WHERE sha256 = ?")
                .bind(upload.sha256.as_str())
                .fetch_one(&mut *tx)
                .await?;
            parse_id(&id, "recording id")?
        };
        // These bytes are wanted again: a queued deletion of them is cancelled
        // (or, if one is running, this waits for it; the caller then checks
        // the object is still there).
        sqlx::query("DELETE FROM object_deletions WHERE sha256 = ?")
            .bind(upload.sha256.as_str())
            .execute(&mut *tx)
            .await?;
        let new_for_owner = sqlx::query(
            "INSERT INTO recording_owners (recording_id, user_id, original_filename, uploaded_at,
                kind)
             SELECT ?, ?, ?, ?, kind FROM recordings WHERE id = ?
             ON CONFLICT (user_id, recording_id) DO NOTHING",
        )
        .bind(recording.to_string())
        .bind(upload.owner.to_string())
        .bind(&upload.original_filename)
        .bind(ts(now))
        .bind(recording.to_string())
        .execute(&mut *tx)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                StoreError::NotFound { entity: "user" }
            }
            _ => StoreError::Database(e),
        })?
        .rows_affected()
            == 1;
        let job = if inserted {
            let job = JobId::new_random();
            insert_job(&mut tx, job, recording, now, crate::DEFAULT_MAX_ATTEMPTS).await?;
            Some(job)
        } else {
            // An analysed recording gets its new owner's "me" and outcome
            // now, and is one more piece of evidence of who they are.
            let owner = upload.owner.to_string();
            let scope = if identity::infer(&mut tx, &owner, upload.kind.as_str()).await? {
                neutral::Scope::User(&owner)
            } else {
                neutral::Scope::Owner {
                    user: &owner,
                    recording: &recording.to_string(),
                }
            };
            neutral::refresh_outcomes(&mut *tx, scope).await?;
            None
        };
        let linked = companions::link(&mut tx, recording, &extras.companions, now).await?;
        let reanalysis = if linked.changed && !inserted {
            companions::queue_reanalysis(&mut tx, recording, now).await?
        } else {
            None
        };
        tx.commit().await?;
        Ok(UploadWithOutcome {
            upload: UploadOutcome {
                recording,
                newly_stored: inserted,
                job,
                new_for_owner,
            },
            reanalysis,
            orphaned: linked.orphaned,
        })
    }

    async fn recording_companions(
        &self,
        recording: RecordingId,
    ) -> Result<Vec<StoredCompanion>, StoreError> {
        companions::of_recording(&self.pool, recording).await
    }

    async fn uploads_since(
        &self,
        owner: UserId,
        kind: &str,
        since: OffsetDateTime,
    ) -> Result<UploadUse, StoreError> {
        companions::uploads_since(&self.pool, owner, kind, since).await
    }

    async fn storage_used(&self, owner: UserId) -> Result<u64, StoreError> {
        let used: i64 = sqlx::query_scalar(
            "SELECT COALESCE(SUM(r.size), 0)
             FROM recording_owners o JOIN recordings r ON r.id = o.recording_id
             WHERE o.user_id = ?",
        )
        .bind(owner.to_string())
        .fetch_one(&self.pool)
        .await?;
        to_u64(used, "storage used")
    }

    async fn owns_recording_with_hash(
        &self,
        owner: UserId,
        sha256: &Sha256Hex,
    ) -> Result<bool, StoreError> {
        let owned: i64 = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1
             FROM recording_owners o JOIN recordings r ON r.id = o.recording_id
             WHERE o.user_id = ? AND r.sha256 = ?)",
        )
        .bind(owner.to_string())
        .bind(sha256.as_str())
        .fetch_one(&self.pool)
        .await?;
        Ok(owned != 0)
    }

    async fn list_recordings(
        &self,
        owner: UserId,
        filter: &RecordingFilter,
    ) -> Result<Vec<RecordingSummary>, StoreError> {
        list::games(&self.pool, &owner.to_string(), filter).await
    }

    async fn count_recordings(
        &self,
        owner: UserId,
        filter: &RecordingFilter,
    ) -> Result<u64, StoreError> {
        list::count_games(&self.pool, &owner.to_string(), filter).await
    }

    async fn recording_facets(&self, owner: UserId) -> Result<RecordingFacets, StoreError> {
        list::facet_choices(&self.pool, &owner.to_string()).await
    }

    async fn recording_for_owner(
        &self,
        owner: UserId,
        id: RecordingId,
    ) -> Result<Option<RecordingSummary>, StoreError> {
        list::game_for_owner(&self.pool, &owner.to_string(), &id.to_string()).await
    }

    async fn analysis_for_owner(
        &self,
        owner: UserId,
        id: RecordingId,
    ) -> Result<Option<String>, StoreError> {
        let json: Option<Option<String>> = sqlx::query_scalar(
            "SELECT r.analysis_json FROM recordings r
             JOIN recording_owners o ON o.recording_id = r.id
             WHERE o.user_id = ? AND r.id = ?",
        )
        .bind(owner.to_string())
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?;
        let json = json.flatten();
        if json.is_some() {
            self.reports_read
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        Ok(json)
    }

    async fn recording_by_id(&self, id: RecordingId) -> Result<Option<Recording>, StoreError> {
        let row = sqlx::query(
            "SELECT id, sha256, size, kind, created_at, analyzed_at FROM recordings WHERE id = ?",
        )
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(Recording {
                id: parse_id(&row.try_get::<String, _>("id")?, "recording id")?,
                sha256: parse_sha(&row.try_get::<String, _>("sha256")?)?,
                size: to_u64(row.try_get("size")?, "size")?,
                kind: parse_kind(&row.try_get::<String, _>("kind")?)?,
                created_at: from_ts(row.try_get("created_at")?)?,
                analyzed_at: from_opt_ts(row.try_get("analyzed_at")?)?,
            })
        })
        .transpose()
    }

    async fn enqueue_job(
        &self,
        recording: RecordingId,
        now: OffsetDateTime,
        max_attempts: u32,
    ) -> Result<JobId, StoreError> {
        let mut tx = self.pool.begin().await?;
        let job = JobId::new_random();
        insert_job(&mut tx, job, recording, now, max_attempts).await?;
        tx.commit().await?;
        Ok(job)
    }

    #[tracing::instrument(skip(self, now, lease))]
    async fn claim_job(
        &self,
        worker: &str,
        now: OffsetDateTime,
        lease: Duration,
    ) -> Result<Option<ClaimedJob>, StoreError> {
        // A worker id holds at most one job, and a worker claims only when it
        // is idle: a running job still under this id was left by a previous
        // incarnation of this worker (a crash), so it is orphaned already.
        // Jobs orphaned on their last attempt will never finish: dead-letter them.
        sqlx::query(
            "UPDATE jobs SET state = 'dead', worker_id = NULL, lease_until = NULL,
                last_error = 'the worker running the last attempt stopped renewing its lease',
                finished_at = ?1, updated_at = ?1
             WHERE state = 'running' AND (lease_until <= ?1 OR worker_id = ?2)
               AND attempts >= max_attempts",
        )
        .bind(ts(now))
        .bind(worker)
        .execute(&self.pool)
        .await?;
        let row = sqlx::query(&format!(
            "UPDATE jobs SET state = 'running', worker_id = ?1, lease_until = ?2,
                attempts = attempts + 1, updated_at = ?3
             WHERE id = (
                SELECT id FROM jobs
                WHERE (state = 'queued' AND run_after <= ?3)
                   OR (state = 'running' AND (lease_until <= ?3 OR worker_id = ?1)
                       AND attempts < max_attempts)
                ORDER BY CASE WHEN worker_id = ?1 THEN 0 ELSE 1 END,
                    CASE WHEN purpose = 'upload' THEN 0 ELSE 1 END, run_after, created_at, rowid
                LIMIT 1)
             RETURNING {}",
            job_cols("")
        ))
        .bind(worker)
        .bind(ts(now).saturating_add(secs(lease)))
        .bind(ts(now))
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let job = job_from_row(&row)?;
        let recording = sqlx::query("SELECT sha256, kind FROM recordings WHERE id = ?")
            .bind(job.recording_id.to_string())
            .fetch_one(&self.pool)
            .await?;
        Ok(Some(ClaimedJob {
            sha256: parse_sha(&recording.try_get::<String, _>("sha256")?)?,
            kind: parse_kind(&recording.try_get::<String, _>("kind")?)?,
            job,
        }))
    }

    async fn heartbeat_job(
        &self,
        job: JobId,
        worker: &str,
        now: OffsetDateTime,
        lease: Duration,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE jobs SET lease_until = ?, updated_at = ?
             WHERE id = ? AND worker_id = ? AND state = 'running'",
        )
        .bind(ts(now).saturating_add(secs(lease)))
        .bind(ts(now))
        .bind(job.to_string())
        .bind(worker)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    #[tracing::instrument(skip(self, output, now))]
    async fn complete_job(
        &self,
        job: JobId,
        worker: &str,
        output: &AnalysisOutput,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let recording: Option<String> = sqlx::query_scalar(
            "UPDATE jobs SET state = 'done', lease_until = NULL, last_error = NULL,
                finished_at = ?1, updated_at = ?1
             WHERE id = ?2 AND worker_id = ?3 AND state = 'running'
             RETURNING recording_id",
        )
        .bind(ts(now))
        .bind(job.to_string())
        .bind(worker)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(recording) = recording else {
            tx.rollback().await?;
            return Ok(false);
        };
        save_analysis(&mut tx, &recording, output, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    #[tracing::instrument(skip(self, now, backoff))]
    async fn fail_job(
        &self,
        job: JobId,
        worker: &str,
        error: &str,
        now: OffsetDateTime,
        backoff: &Backoff,
    ) -> Result<FailOutcome, StoreError> {
        // The backoff in SQL keeps this one statement: base * 2^(attempts-1), capped.
        let row = sqlx::query(
            "UPDATE jobs SET
                state = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'queued' END,
                run_after = CASE WHEN attempts >= max_attempts THEN run_after
                    ELSE ?1 + MIN(?2 * (1 << MIN(MAX(attempts - 1, 0), 30)), ?3) END,
                finished_at = CASE WHEN attempts >= max_attempts THEN ?1 ELSE NULL END,
                last_error = ?4, worker_id = NULL, lease_until = NULL, updated_at = ?1
             WHERE id = ?5 AND worker_id = ?6 AND state = 'running'
             RETURNING state, run_after",
        )
        .bind(ts(now))
        .bind(secs(backoff.base))
        .bind(secs(backoff.max))
        .bind(error)
        .bind(job.to_string())
        .bind(worker)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(FailOutcome::LeaseLost);
        };
        let state: String = row.try_get("state")?;
        if state == "dead" {
            Ok(FailOutcome::Dead)
        } else {
            Ok(FailOutcome::Retry {
                run_after: from_ts(row.try_get("run_after")?)?,
            })
        }
    }

    async fn release_job(
        &self,
        job: JobId,
        worker: &str,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE jobs SET state = 'queued', worker_id = NULL, lease_until = NULL,
                attempts = MAX(attempts - 1, 0), run_after = ?1, updated_at = ?1
             WHERE id = ?2 AND worker_id = ?3 AND state = 'running'",
        )
        .bind(ts(now))
        .bind(job.to_string())
        .bind(worker)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn expire_worker_leases(
        &self,
        worker_prefix: &str,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE jobs SET lease_until = ?1, updated_at = ?1
             WHERE state = 'running' AND substr(worker_id, 1, length(?2)) = ?2
               AND lease_until > ?1",
        )
        .bind(ts(now))
        .bind(worker_prefix)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    async fn job_counts(&self) -> Result<JobCounts, StoreError> {
        let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state")
            .fetch_all(&self.pool)
            .await?;
        let mut counts = JobCounts::default();
        for row in rows {
            let state: String = row.try_get("state")?;
            let n = to_u64(row.try_get("n")?, "job count")?;
            match JobState::parse(&state) {
                Some(JobState::Queued) => counts.queued = n,
                Some(JobState::Running) => counts.running = n,
                Some(JobState::Done) => counts.done = n,
                Some(JobState::Dead) => counts.dead = n,
                None => return Err(StoreError::Corrupt(format!("job state {state:?}"))),
            }
        }
        Ok(counts)
    }

    async fn job_for_recording(&self, recording: RecordingId) -> Result<Option<Job>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {} FROM jobs WHERE recording_id = ? AND purpose = 'upload'
             ORDER BY created_at DESC, rowid DESC LIMIT 1",
            job_cols("")
        ))
        .bind(recording.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(job_from_row).transpose()
    }

    async fn jobs_for_user(&self, user: UserId, limit: u32) -> Result<Vec<UserJob>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {}, o.original_filename, o.uploaded_at
             FROM recording_owners o JOIN jobs j ON j.recording_id = o.recording_id
             WHERE o.user_id = ? AND j.purpose = 'upload'
             ORDER BY o.uploaded_at DESC, j.created_at DESC, j.rowid DESC
             LIMIT ?",
            job_cols("j.")
        ))
        .bind(user.to_string())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let job = job_from_row(row)?;
                Ok(UserJob {
                    recording_id: job.recording_id,
                    original_filename: row.try_get("original_filename")?,
                    uploaded_at: from_ts(row.try_get("uploaded_at")?)?,
                    job,
                })
            })
            .collect()
    }

    async fn queue_reanalysis(
        &self,
        kind: &str,
        revision: u32,
        scope: ReanalysisScope,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await?;
        // Analysed recordings only: one whose analysis never succeeded keeps
        // its upload job's error instead of failing again at every start.
        // The INSERT ... SELECT is one statement, so two processes starting
        // together cannot both queue the same recording.
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT r.id FROM recordings r
             WHERE r.kind = ? AND r.analysis_json IS NOT NULL
               AND (? OR r.revision IS NULL OR r.revision < ?)
             ORDER BY r.played_at DESC, r.id",
        )
        .bind(kind)
        .bind(matches!(scope, ReanalysisScope::Every))
        .bind(i64::from(revision))
        .fetch_all(&mut *tx)
        .await?;
        let mut queued = 0;
        for id in &ids {
            queued += sqlx::query(
                "INSERT INTO jobs (id, recording_id, state, attempts, max_attempts, run_after,
                    created_at, updated_at, purpose)
                 SELECT ?1, ?2, 'queued', 0, ?3, ?4, ?4, ?4, 'reanalysis'
                 WHERE NOT EXISTS (SELECT 1 FROM jobs j
                     WHERE j.recording_id = ?2 AND j.state IN ('queued', 'running'))",
            )
            .bind(JobId::new_random().to_string())
            .bind(id)
            .bind(i64::from(crate::DEFAULT_MAX_ATTEMPTS))
            .bind(ts(now))
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        tx.commit().await?;
        Ok(queued)
    }

    // ---- coach (in `coach.rs`) ----

    async fn create_conversation(
        &self,
        conversation: &NewConversation,
        now: OffsetDateTime,
    ) -> Result<Conversation, StoreError> {
        coach::create_conversation(&self.pool, conversation, now).await
    }

    async fn list_conversations(
        &self,
        owner: UserId,
        limit: u32,
    ) -> Result<Vec<ConversationSummary>, StoreError> {
        coach::list_conversations(&self.pool, owner, limit).await
    }

    async fn conversation_for_owner(
        &self,
        owner: UserId,
        id: ConversationId,
    ) -> Result<Option<Conversation>, StoreError> {
        coach::conversation_for_owner(&self.pool, owner, id).await
    }

    async fn delete_conversation(
        &self,
        owner: UserId,
        id: ConversationId,
    ) -> Result<(), StoreError> {
        coach::delete_conversation(&self.pool, owner, id).await
    }

    #[tracing::instrument(skip_all, fields(owner = %owner, conversation = %message.conversation))]
    async fn append_message(
        &self,
        owner: UserId,
        message: &NewMessage,
        now: OffsetDateTime,
    ) -> Result<StoredMessage, StoreError> {
        coach::append_message(&self.pool, owner, message, now).await
    }

    async fn messages(
        &self,
        owner: UserId,
        conversation: ConversationId,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        coach::messages(&self.pool, owner, conversation).await
    }

    async fn create_note(
        &self,
        owner: UserId,
        text: &str,
        author: NoteAuthor,
        now: OffsetDateTime,
    ) -> Result<Note, StoreError> {
        coach::create_note(&self.pool, owner, text, author, now).await
    }

    async fn list_notes(&self, owner: UserId) -> Result<Vec<Note>, StoreError> {
        coach::list_notes(&self.pool, owner).await
    }

    async fn update_note(
        &self,
        owner: UserId,
        id: NoteId,
        text: &str,
        now: OffsetDateTime,
    ) -> Result<Note, StoreError> {
        coach::update_note(&self.pool, owner, id, text, now).await
    }

    async fn delete_note(&self, owner: UserId, id: NoteId) -> Result<(), StoreError> {
        coach::delete_note(&self.pool, owner, id).await
    }

    #[tracing::instrument(skip_all, fields(user = %usage.user, outcome = usage.outcome.as_str()))]
    async fn record_usage(
        &self,
        usage: &NewUsageRecord,
        now: OffsetDateTime,
    ) -> Result<UsageRecord, StoreError> {
        coach::record_usage(&self.pool, usage, now).await
    }

    async fn usage_totals(
        &self,
        user: UserId,
        from: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Result<UsageTotals, StoreError> {
        coach::usage_totals(&self.pool, user, from, until).await
    }

    async fn usage_history(
        &self,
        user: UserId,
        limit: u32,
        before: Option<OffsetDateTime>,
    ) -> Result<Vec<UsageRecord>, StoreError> {
        coach::usage_history(&self.pool, user, limit, before).await
    }

    #[tracing::instrument(skip(self, now))]
    async fn reserve_budget(
        &self,
        user: UserId,
        period: &str,
        limit: u64,
        amount: u64,
        now: OffsetDateTime,
    ) -> Result<BudgetReservation, StoreError> {
        coach::reserve_budget(&self.pool, user, period, limit, amount, None, now).await
    }

    #[tracing::instrument(skip(self, now))]
    async fn reserve_budget_for_node(
        &self,
        user: UserId,
        period: &str,
        limit: u64,
        amount: u64,
        node: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<BudgetReservation, StoreError> {
        coach::reserve_budget(&self.pool, user, period, limit, amount, node, now).await
    }

    #[tracing::instrument(skip(self, now))]
    async fn settle_budget(
        &self,
        reservation: BudgetReservationId,
        actual: u64,
        now: OffsetDateTime,
    ) -> Result<BudgetSettlement, StoreError> {
        coach::settle_budget(&self.pool, reservation, actual, now).await
    }

    async fn budget_status(&self, user: UserId, period: &str) -> Result<BudgetStatus, StoreError> {
        coach::budget_status(&self.pool, user, period).await
    }

    #[tracing::instrument(skip(self))]
    async fn settle_stale_reservations(
        &self,
        older_than: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        coach::settle_stale_reservations(&self.pool, older_than, now).await
    }

    async fn nodes(&self) -> Result<Vec<NodeRecord>, StoreError> {
        nodes::list(&self.pool).await
    }

    #[tracing::instrument(skip_all, fields(node = %node.name))]
    async fn register_node(
        &self,
        node: &NodeRecord,
        replacing: Option<&str>,
        stale_before: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        nodes::register(&self.pool, node, replacing, stale_before, now).await
    }

    async fn node_heartbeat(
        &self,
        name: &str,
        instance: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        nodes::heartbeat(&self.pool, name, instance, now).await
    }

    #[tracing::instrument(skip(self, now))]
    async fn release_node(
        &self,
        name: &str,
        instance: &str,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        nodes::release(&self.pool, name, instance, now).await
    }

    async fn messages_page(
        &self,
        owner: UserId,
        conversation: ConversationId,
        before: Option<MessageId>,
        limit: u32,
    ) -> Result<MessagePage, StoreError> {
        coach::messages_page(&self.pool, owner, conversation, before, limit).await
    }

    #[tracing::instrument(skip(self, windows, now))]
    async fn admit_request(
        &self,
        user: UserId,
        kind: &str,
        windows: &[RateWindow],
        now: OffsetDateTime,
    ) -> Result<RateAdmission, StoreError> {
        coach::admit_request(&self.pool, user, kind, windows, now).await
    }

    #[tracing::instrument(skip(self, now))]
    async fn remove_recording(
        &self,
        owner: UserId,
        id: RecordingId,
        now: OffsetDateTime,
    ) -> Result<Option<crate::RecordingRemoval>, StoreError> {
        rights::remove_recording(&self.pool, owner, id, now).await
    }

    #[tracing::instrument(skip(self, now))]
    async fn erase_user(
        &self,
        user: UserId,
        actor: &str,
        now: OffsetDateTime,
    ) -> Result<Option<crate::Erasure>, StoreError> {
        rights::erase_user(&self.pool, user, actor, now).await
    }

    #[tracing::instrument(skip(self, objects))]
    async fn purge_objects(
        &self,
        objects: &dyn crate::objects::ObjectStore,
        limit: u32,
    ) -> Result<crate::PurgeOutcome, StoreError> {
        rights::purge(&self.pool, objects, limit).await
    }

    async fn owned_files(&self, owner: UserId) -> Result<Vec<crate::OwnedFile>, StoreError> {
        rights::owned_files(&self.pool, owner).await
    }

    async fn audit(
        &self,
        actor: &str,
        action: &str,
        detail: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        rights::audit(&self.pool, actor, action, detail, now).await
    }

    async fn audit_log(&self, limit: u32) -> Result<Vec<crate::AuditEntry>, StoreError> {
        rights::audit_log(&self.pool, limit).await
    }
}

async fn insert_job(
    tx: &mut Transaction<'_, Sqlite>,
    job: JobId,
    recording: RecordingId,
    now: OffsetDateTime,
    max_attempts: u32,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO jobs (id, recording_id, state, attempts, max_attempts, run_after,
            created_at, updated_at)
         VALUES (?1, ?2, 'queued', 0, ?3, ?4, ?4, ?4)",
    )
    .bind(job.to_string())
    .bind(recording.to_string())
    .bind(i64::from(max_attempts.max(1)))
    .bind(ts(now))
    .execute(&mut **tx)
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::NotFound {
            entity: "recording",
        },
        _ => StoreError::Database(e),
    })?;
    Ok(())
}
