//! The [`Store`] trait: everything filmroom keeps in its database.

use std::time::Duration;

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::coach_model::{
    CoachMetricGroup, CoachMetricQuery, CoachMoments, CoachRecording, CoachRecordingQuery,
    CoachSearchHit,
};
use crate::companion_model::{StoredCompanion, UploadExtras, UploadUse, UploadWithOutcome};
use crate::error::StoreError;
use crate::model::{
    AnalysisOutput, ApiToken, Backoff, BudgetReservation, BudgetSettlement, BudgetStatus,
    ClaimedJob, Conversation, ConversationSummary, FailOutcome, IdentityLink, Job, JobCounts,
    MessagePage, MetricPoint, NewConversation, NewMessage, NewSession, NewUpload, NewUsageRecord,
    NodeRecord, Note, RateAdmission, RateWindow, ReanalysisScope, Recording, RecordingFacets,
    RecordingFilter, RecordingPage, RecordingQuery, RecordingSummary, Session, StoredAnalysis,
    StoredMessage, UploadOutcome, UsageRecord, UsageTotals, User, UserJob,
};
use crate::types::{
    ApiTokenId, BudgetReservationId, ConversationId, JobId, MessageId, NoteAuthor, NoteId,
    RecordingId, Sha256Hex, UserId, Username,
};

/// How stale a token's recorded last use may get before a request writes it again.
pub const TOKEN_LAST_USED_EVERY: time::Duration = time::Duration::minutes(1);

/// One implementation per database; all of them pass `tests/it/conformance.rs`.
///
/// Isolation lives here: every method that takes an owner returns `None` (or
/// `NotFound`) for rows that user does not own, so a handler that forgets a
/// check still cannot leak another user's data.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// The backend's name for `/status`, e.g. `"sqlite"`.
    fn backend(&self) -> &'static str;

    /// A cheap round trip to the database, for `/health` and `/status`.
    async fn ping(&self) -> Result<(), StoreError>;

    // ---- users ----

    /// Creates a user; the first user ever created is the admin (decided in
    /// the same statement, so two racing sign-ups cannot both be admin).
    /// [`StoreError::Conflict`] if the username is taken, ignoring case.
    async fn create_user(
        &self,
        username: &Username,
        password_hash: &str,
        now: OffsetDateTime,
    ) -> Result<User, StoreError>;
    async fn user_by_id(&self, id: UserId) -> Result<Option<User>, StoreError>;
    async fn user_by_username(&self, username: &Username) -> Result<Option<User>, StoreError>;
    /// All users, oldest first.
    async fn list_users(&self) -> Result<Vec<User>, StoreError>;
    async fn count_users(&self) -> Result<u64, StoreError>;
    /// [`StoreError::NotFound`] if there is no such user.
    async fn set_password_hash(&self, id: UserId, password_hash: &str) -> Result<(), StoreError>;
    /// Replaces the in-game names or `"platform:id"` strings that are this user.
    /// Also makes them the user's Rocket League identity links (a platform
    /// id as it is, a plain name as `name:NAME`) and refreshes their outcomes.
    async fn set_player_names(
        &self,
        id: UserId,
        names: &[String],
        now: OffsetDateTime,
    ) -> Result<(), StoreError>;
    async fn player_names(&self, id: UserId) -> Result<Vec<String>, StoreError>;
    /// Puts the user on a usage plan by name (`None`: the configured default).
    /// [`StoreError::NotFound`] if there is no such user.
    async fn set_user_plan(&self, id: UserId, plan: Option<&str>) -> Result<(), StoreError>;
    /// The plan the user was put on, if any.
    async fn user_plan(&self, id: UserId) -> Result<Option<String>, StoreError>;

    // ---- sessions ----

    async fn create_session(&self, session: &NewSession) -> Result<(), StoreError>;
    /// The session and its user, or `None` if unknown or expired at `now`.
    async fn session_by_hash(
        &self,
        id_hash: &Sha256Hex,
        now: OffsetDateTime,
    ) -> Result<Option<Session>, StoreError>;
    async fn delete_session(&self, id_hash: &Sha256Hex) -> Result<(), StoreError>;
    /// Logs a user out everywhere; returns how many sessions ended.
    async fn delete_user_sessions(&self, user: UserId) -> Result<u64, StoreError>;

    // ---- API tokens ----

    async fn create_api_token(
        &self,
        user: UserId,
        name: &str,
        token_hash: &Sha256Hex,
        now: OffsetDateTime,
    ) -> Result<ApiToken, StoreError>;
    /// The user's tokens that are not revoked, newest first.
    async fn list_api_tokens(&self, user: UserId) -> Result<Vec<ApiToken>, StoreError>;
    /// [`StoreError::NotFound`] unless the token is this user's and live.
    async fn revoke_api_token(
        &self,
        user: UserId,
        token: ApiTokenId,
        now: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// The owner of a live token; records `now` as its last use, but only
    /// when the recorded use is [`TOKEN_LAST_USED_EVERY`] old or more: a busy
    /// script would otherwise turn every read into a write.
    async fn user_by_api_token(
        &self,
        token_hash: &Sha256Hex,
        now: OffsetDateTime,
    ) -> Result<Option<User>, StoreError>;
    /// Revokes every live token of `user` ("sign out everywhere"); returns how many.
    async fn revoke_user_api_tokens(
        &self,
        user: UserId,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError>;

    // ---- server secrets ----

    /// The secret stored under `name`, storing `candidate` first when there is
    /// none: every process sharing the database ends up with the same one.
    async fn server_secret(
        &self,
        name: &str,
        candidate: &str,
        now: OffsetDateTime,
    ) -> Result<String, StoreError>;

    // ---- recordings ----

    /// In one transaction: stores the recording if its hash is new, links the
    /// owner (idempotent), and enqueues an analysis job only for a new
    /// recording. A new recording is refused with [`StoreError::QueueFull`],
    /// storing nothing, when queued + running jobs `>= max_queue_depth`.
    async fn add_upload(
        &self,
        upload: &NewUpload,
        now: OffsetDateTime,
        max_queue_depth: u64,
    ) -> Result<UploadOutcome, StoreError>;
    /// [`Store::add_upload`] with what the upload brings besides the bytes,
    /// in the same transaction: the recording's length (kept the first time
    /// it is stored) and its companion files, one per purpose. A companion
    /// replaces the recording's companion of the same purpose; when an
    /// already stored recording gets a new or different companion, a
    /// re-analysis is queued (unless a job is already waiting for it), so
    /// the newest companion is what every owner's analysis uses.
    async fn add_upload_with(
        &self,
        upload: &NewUpload,
        extras: &UploadExtras,
        now: OffsetDateTime,
        max_queue_depth: u64,
    ) -> Result<UploadWithOutcome, StoreError>;
    /// The companion files stored with a recording (what its analysis reads).
    async fn recording_companions(
        &self,
        recording: RecordingId,
    ) -> Result<Vec<StoredCompanion>, StoreError>;
    /// How many recordings of `kind` `owner` linked at or after `since`, and
    /// their lengths added up (what per-day upload limits count).
    async fn uploads_since(
        &self,
        owner: UserId,
        kind: &str,
        since: OffsetDateTime,
    ) -> Result<UploadUse, StoreError>;
    /// The bytes of every recording `owner` uploaded, each counted once,
    /// whoever else also uploaded it (what a storage quota counts).
    async fn storage_used(&self, owner: UserId) -> Result<u64, StoreError>;
    /// Whether `owner` already uploaded a recording with these bytes.
    async fn owns_recording_with_hash(
        &self,
        owner: UserId,
        sha256: &Sha256Hex,
    ) -> Result<bool, StoreError>;
    async fn list_recordings(
        &self,
        owner: UserId,
        filter: &RecordingFilter,
    ) -> Result<Vec<RecordingSummary>, StoreError>;
    /// How many of the owner's recordings pass `filter` (its sort and page ignored).
    async fn count_recordings(
        &self,
        owner: UserId,
        filter: &RecordingFilter,
    ) -> Result<u64, StoreError>;
    /// The distinct maps, playlists and team sizes among the owner's analysed
    /// recordings: the choices of the games list's filters.
    async fn recording_facets(&self, owner: UserId) -> Result<RecordingFacets, StoreError>;
    /// `None` when `owner` does not own the recording.
    async fn recording_for_owner(
        &self,
        owner: UserId,
        id: RecordingId,
    ) -> Result<Option<RecordingSummary>, StoreError>;
    /// The stored report JSON; `None` if not owned or not analysed yet.
    async fn analysis_for_owner(
        &self,
        owner: UserId,
        id: RecordingId,
    ) -> Result<Option<String>, StoreError>;
    /// No owner check: for workers and the operator only.
    async fn recording_by_id(&self, id: RecordingId) -> Result<Option<Recording>, StoreError>;
    /// The neutral analysis of a recording `owner` owns, with their "me" and
    /// outcome; `None` when not owned or not analysed into neutral rows yet.
    async fn stored_analysis_for_owner(
        &self,
        owner: UserId,
        id: RecordingId,
    ) -> Result<Option<StoredAnalysis>, StoreError>;
    /// The owner's recordings of every kind (or one), filtered and sorted
    /// over the stored facts, facets and outcomes, with the total count.
    async fn list_recordings_page(
        &self,
        owner: UserId,
        query: &RecordingQuery,
    ) -> Result<RecordingPage, StoreError>;
    /// One metric of the owner's own participant across their recordings of
    /// `kind`, oldest first (recordings where no participant is theirs are
    /// left out).
    async fn my_metric_series(
        &self,
        owner: UserId,
        kind: &str,
        metric: &str,
    ) -> Result<Vec<MetricPoint>, StoreError>;

    // ---- identity: which participants are "me" ----

    /// Says `participant` (a key of `kind`'s domain, e.g. `steam:765...`) is
    /// the user, and refreshes the user's stored outcomes. Idempotent.
    async fn link_identity(
        &self,
        user: UserId,
        kind: &str,
        participant: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// Removes a link and refreshes the outcomes; `false` if there was none.
    async fn unlink_identity(
        &self,
        user: UserId,
        kind: &str,
        participant: &str,
    ) -> Result<bool, StoreError>;
    /// Every link of the user, theirs and inferred.
    async fn identity_links(&self, user: UserId) -> Result<Vec<IdentityLink>, StoreError>;
    /// Per kind the user has recordings or links of: their links, how many
    /// of their recordings "me" is known in, and who they could be.
    async fn identities(&self, user: UserId) -> Result<Vec<crate::KindIdentities>, StoreError>;
    /// Makes `participants` the user's own links for `kind`, replacing their
    /// previous ones of that kind (the inferred link too); none gives the kind
    /// back to inference. Refreshes the stored outcomes, all in one transaction.
    async fn set_identity_links(
        &self,
        user: UserId,
        kind: &str,
        participants: &[String],
        now: OffsetDateTime,
    ) -> Result<(), StoreError>;

    // ---- jobs ----

    async fn enqueue_job(
        &self,
        recording: RecordingId,
        now: OffsetDateTime,
        max_attempts: u32,
    ) -> Result<JobId, StoreError>;
    /// Atomically takes one job that is queued with `run_after <= now`, or
    /// running with an expired lease; sets the worker, the lease and
    /// `attempts + 1`. An expired job already at `max_attempts` is
    /// dead-lettered instead of handed out again.
    ///
    /// A worker id holds at most one job: a running job still under `worker`
    /// is taken as orphaned by an earlier run of the same worker (it crashed)
    /// and is handed back to it first, without waiting for its lease. So give
    /// every concurrent worker its own id, and reuse ids across restarts.
    async fn claim_job(
        &self,
        worker: &str,
        now: OffsetDateTime,
        lease: Duration,
    ) -> Result<Option<ClaimedJob>, StoreError>;
    /// Extends the lease; `false` if this worker no longer holds the job.
    async fn heartbeat_job(
        &self,
        job: JobId,
        worker: &str,
        now: OffsetDateTime,
        lease: Duration,
    ) -> Result<bool, StoreError>;
    /// Saves the analysis and marks the job done, in one transaction;
    /// `false`, saving nothing, if this worker no longer holds the job.
    async fn complete_job(
        &self,
        job: JobId,
        worker: &str,
        output: &AnalysisOutput,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    /// Records a failed attempt: retry after a backoff, or dead-letter.
    async fn fail_job(
        &self,
        job: JobId,
        worker: &str,
        error: &str,
        now: OffsetDateTime,
        backoff: &Backoff,
    ) -> Result<FailOutcome, StoreError>;
    /// Hands a running job back to the queue (graceful shutdown); the attempt
    /// does not count. `false` if this worker no longer holds it.
    async fn release_job(
        &self,
        job: JobId,
        worker: &str,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    /// Ends, as of `now`, the leases of every running job whose worker id
    /// starts with `worker_prefix`, so the next claim recovers them (or
    /// dead-letters one that was on its last attempt). For startup: a node
    /// whose worker ids start with its own name calls this before starting its
    /// workers, so jobs its previous process died holding do not wait for the
    /// lease to run out. Returns how many jobs it freed.
    async fn expire_worker_leases(
        &self,
        worker_prefix: &str,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError>;
    async fn job_counts(&self) -> Result<JobCounts, StoreError>;
    /// The latest job of a recording.
    async fn job_for_recording(&self, recording: RecordingId) -> Result<Option<Job>, StoreError>;
    /// Jobs of the recordings this user uploaded, newest upload first.
    async fn jobs_for_user(&self, user: UserId, limit: u32) -> Result<Vec<UserJob>, StoreError>;
    /// Queues a re-analysis job for each analysed recording of `kind` that
    /// `scope` selects and that has no job waiting or running. Re-analyses
    /// are claimed after every waiting upload, do not count against the
    /// upload queue limit, and are not shown as the recording's upload state.
    /// Returns how many were queued.
    async fn queue_reanalysis(
        &self,
        kind: &str,
        revision: u32,
        scope: ReanalysisScope,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError>;

    // ---- coach: conversations and messages ----

    /// [`StoreError::NotFound`] if the owner does not exist.
    async fn create_conversation(
        &self,
        conversation: &NewConversation,
        now: OffsetDateTime,
    ) -> Result<Conversation, StoreError>;
    /// The owner's conversations with totals over their messages, most
    /// recently updated first.
    async fn list_conversations(
        &self,
        owner: UserId,
        limit: u32,
    ) -> Result<Vec<ConversationSummary>, StoreError>;
    /// `None` unless `owner` owns it.
    async fn conversation_for_owner(
        &self,
        owner: UserId,
        id: ConversationId,
    ) -> Result<Option<Conversation>, StoreError>;
    /// Deletes the conversation and its messages. Its usage records stay (for
    /// accounting) with their conversation cleared. [`StoreError::NotFound`]
    /// unless `owner` owns it.
    async fn delete_conversation(
        &self,
        owner: UserId,
        id: ConversationId,
    ) -> Result<(), StoreError>;
    /// [`StoreError::NotFound`] unless `owner` owns the conversation, and
    /// unless `owner` owns every cited recording (defence in depth: a citation
    /// can never point at another user's game); then nothing is saved. Saves
    /// the message and its citations in one transaction and bumps the
    /// conversation's `updated_at`. [`StoreError::Conflict`] (`"message"`) if
    /// the id is taken.
    async fn append_message(
        &self,
        owner: UserId,
        message: &NewMessage,
        now: OffsetDateTime,
    ) -> Result<StoredMessage, StoreError>;
    /// Oldest first. [`StoreError::NotFound`] unless `owner` owns the conversation.
    async fn messages(
        &self,
        owner: UserId,
        conversation: ConversationId,
    ) -> Result<Vec<StoredMessage>, StoreError>;

    // ---- coach: notes ----

    /// [`StoreError::NotFound`] if the owner does not exist.
    async fn create_note(
        &self,
        owner: UserId,
        text: &str,
        author: NoteAuthor,
        now: OffsetDateTime,
    ) -> Result<Note, StoreError>;
    /// Newest first.
    async fn list_notes(&self, owner: UserId) -> Result<Vec<Note>, StoreError>;
    /// [`StoreError::NotFound`] unless `owner` owns the note.
    async fn update_note(
        &self,
        owner: UserId,
        id: NoteId,
        text: &str,
        now: OffsetDateTime,
    ) -> Result<Note, StoreError>;
    /// [`StoreError::NotFound`] unless `owner` owns the note.
    async fn delete_note(&self, owner: UserId, id: NoteId) -> Result<(), StoreError>;

    // ---- coach: usage ----

    /// [`StoreError::NotFound`] if the user does not exist, or if the record
    /// names a conversation that is not that user's.
    async fn record_usage(
        &self,
        usage: &NewUsageRecord,
        now: OffsetDateTime,
    ) -> Result<UsageRecord, StoreError>;
    /// Sums over the user's records with `from <= created_at < until`.
    async fn usage_totals(
        &self,
        user: UserId,
        from: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Result<UsageTotals, StoreError>;
    /// Newest first, at most `limit`, only `created_at < before` when given.
    async fn usage_history(
        &self,
        user: UserId,
        limit: u32,
        before: Option<OffsetDateTime>,
    ) -> Result<Vec<UsageRecord>, StoreError>;

    // ---- coach: budget ledger ----

    /// Atomically holds `amount` against (user, period) if
    /// `spent + reserved + amount <= limit`; otherwise
    /// [`StoreError::BudgetExceeded`] and nothing is held. Holds under
    /// concurrency across connections and processes. `period` is an opaque
    /// key such as `"2026-11"`. [`StoreError::NotFound`] for an unknown user.
    async fn reserve_budget(
        &self,
        user: UserId,
        period: &str,
        limit: u64,
        amount: u64,
        now: OffsetDateTime,
    ) -> Result<BudgetReservation, StoreError>;
    /// [`Store::reserve_budget`] on behalf of a registered node: the
    /// reservation records it, so it is released when that node dies.
    async fn reserve_budget_for_node(
        &self,
        user: UserId,
        period: &str,
        limit: u64,
        amount: u64,
        node: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<BudgetReservation, StoreError>;
    /// Replaces the reservation with the real amount, capped at what it held:
    /// `reserved -= held`, `spent += min(actual, held)`, and the rest goes to
    /// the period's `overrun` (the operator's cost), so a budget can never be
    /// overspent. [`StoreError::NotFound`] if already settled or unknown, and
    /// then nothing changes: settling twice never double-counts.
    async fn settle_budget(
        &self,
        reservation: BudgetReservationId,
        actual: u64,
        now: OffsetDateTime,
    ) -> Result<BudgetSettlement, StoreError>;
    /// Zeros for a period with no row.
    async fn budget_status(&self, user: UserId, period: &str) -> Result<BudgetStatus, StoreError>;
    /// Settles reservations made before `older_than` (their process died
    /// mid-call) at their full amount, never undercharging. Returns how many.
    async fn settle_stale_reservations(
        &self,
        older_than: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError>;

    // ---- process registry ----

    /// Every registered node.
    async fn nodes(&self) -> Result<Vec<NodeRecord>, StoreError>;
    /// Registers `node` under its name, atomically. A row with that name whose
    /// heartbeat is at or after `stale_before` belongs to a live process and
    /// refuses with [`StoreError::NodeInUse`], unless its instance is
    /// `replacing` (the caller proved that process dead). Otherwise the old
    /// process's reservations are settled at their full amount (never
    /// undercharging) and the row becomes `node`'s. Returns how many
    /// reservations were released.
    async fn register_node(
        &self,
        node: &NodeRecord,
        replacing: Option<&str>,
        stale_before: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError>;
    /// Refreshes the heartbeat of this instance of the node.
    /// [`StoreError::NotFound`] if another instance took the name over.
    async fn node_heartbeat(
        &self,
        name: &str,
        instance: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// Removes this instance of the node and settles the reservations it
    /// still holds at their full amount. For a process that stopped, or one
    /// found dead. Returns how many reservations were released; 0 and nothing
    /// changes if the row is another instance's.
    async fn release_node(
        &self,
        name: &str,
        instance: &str,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError>;

    // ---- coach: message pages ----

    /// Up to `limit` messages of the conversation ending just before the
    /// message `before` (the latest ones without it), oldest first.
    /// [`StoreError::NotFound`] unless `owner` owns the conversation and
    /// `before` is one of its messages.
    async fn messages_page(
        &self,
        owner: UserId,
        conversation: ConversationId,
        before: Option<MessageId>,
        limit: u32,
    ) -> Result<MessagePage, StoreError>;

    // ---- coach: rate limits ----

    /// Sliding-window admission, atomic. Refuses with
    /// [`StoreError::RateLimited`] (naming a full window, with
    /// `retry_after_seconds` until enough of its counted events leave it, at
    /// least 1; the longest wait when several are full) if any window already
    /// holds `max` events of this (user, kind) in `(now - seconds, now]`;
    /// otherwise records the event and returns every window's state. Prunes
    /// events older than the longest window for that user and kind.
    async fn admit_request(
        &self,
        user: UserId,
        kind: &str,
        windows: &[RateWindow],
        now: OffsetDateTime,
    ) -> Result<RateAdmission, StoreError>;

    // ---- coach: reads over the stored neutral rows ----

    /// The owner's analysed recordings matching `query`, newest first, each
    /// with "me", the outcome, facets and the metrics asked for: a handful
    /// of queries for any number of recordings, and no report read.
    async fn coach_recordings(
        &self,
        owner: UserId,
        query: &CoachRecordingQuery,
    ) -> Result<Vec<CoachRecording>, StoreError>;
    /// One owned recording's events of `event_kinds` and its timed passages;
    /// `None` when the owner does not own it.
    async fn coach_moments(
        &self,
        owner: UserId,
        recording: RecordingId,
        event_kinds: &[String],
    ) -> Result<Option<CoachMoments>, StoreError>;
    /// Up to `limit` event labels and passages of the owner's recordings
    /// containing `text`'s words in order, each the start of a word, ignoring
    /// case and diacritics (a full-text index), newest recordings first. Any
    /// text is a valid search: its punctuation only separates words.
    async fn coach_search(
        &self,
        owner: UserId,
        text: &str,
        limit: u32,
    ) -> Result<Vec<CoachSearchHit>, StoreError>;
    /// "Me"'s metric over the owner's recordings, aggregated in SQL (count,
    /// average, extremes, outcomes), in one group or one per facet value.
    async fn coach_metric_groups(
        &self,
        owner: UserId,
        query: &CoachMetricQuery,
    ) -> Result<Vec<CoachMetricGroup>, StoreError>;
    /// How many stored reports this store has handed out since it opened
    /// ([`Store::analysis_for_owner`]): what shows that the coach parses none.
    fn reports_read(&self) -> u64;

    /// A signal each time a job's state changes in any process on this
    /// database, once the change is committed (a few changes may come as
    /// one, and a signal may come with no change: readers re-read the jobs).
    /// `None` when the backend has none: SQLite's processes share one file
    /// on one machine, and each process's job feed hears its own workers
    /// in-process and polls for the others'. PostgreSQL signals through
    /// LISTEN/NOTIFY, so a page served by one process sees a job finished by
    /// another at once.
    async fn job_signals(&self) -> Result<Option<JobSignals>, StoreError> {
        Ok(None)
    }
    // ---- data rights: deleting a recording, erasing a user, exporting ----

    /// Removes `owner`'s link to the recording. When no owner is left, the
    /// recording goes too, with its analysis rows, events, passages and jobs,
    /// and its object is queued for [`Store::purge_objects`], all in one
    /// transaction. `None`, changing nothing, when `owner` does not own it.
    async fn remove_recording(
        &self,
        owner: UserId,
        id: RecordingId,
        now: OffsetDateTime,
    ) -> Result<Option<crate::RecordingRemoval>, StoreError>;
    /// Erases `user` in one transaction: the account, sessions, tokens,
    /// conversations, notes, usage, budgets, links, and every recording no
    /// other user owns (objects queued for [`Store::purge_objects`]);
    /// recordings others also own stay theirs. Writes an audit entry by
    /// `actor` that does not name the user. `None` for an unknown user.
    async fn erase_user(
        &self,
        user: UserId,
        actor: &str,
        now: OffsetDateTime,
    ) -> Result<Option<crate::Erasure>, StoreError>;
    /// Deletes up to `limit` queued objects that no recording references.
    /// Each is deleted while the store holds its queue entry, so an upload of
    /// the same bytes waits for the deletion to finish (and then stores the
    /// bytes again) or cancels it first; a failed deletion stays queued.
    async fn purge_objects(
        &self,
        objects: &dyn crate::objects::ObjectStore,
        limit: u32,
    ) -> Result<crate::PurgeOutcome, StoreError>;
    /// Every file `owner` uploaded, oldest upload first.
    async fn owned_files(&self, owner: UserId) -> Result<Vec<crate::OwnedFile>, StoreError>;
    /// Writes an audit entry (an admin action).
    async fn audit(
        &self,
        actor: &str,
        action: &str,
        detail: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// The latest `limit` audit entries, newest first.
    async fn audit_log(&self, limit: u32) -> Result<Vec<crate::AuditEntry>, StoreError>;
}

/// See [`Store::job_signals`]: ends only when the store is dropped.
pub type JobSignals = futures_util::stream::BoxStream<'static, ()>;
