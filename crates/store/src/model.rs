//! The records the store reads and writes.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::cursor::RecordingCursor;
use crate::types::{
    ApiTokenId, BudgetReservationId, ConversationId, JobId, JobState, MessageId, MessageRole,
    NoteAuthor, NoteId, RecordingId, RecordingKind, Sha256Hex, UsageOutcome, UsageRecordId, UserId,
    Username,
};

/// A job gets this many attempts unless the caller says otherwise.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;

/// A user account.
#[derive(Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub username: Username,
    /// An argon2id PHC string; never printed by `Debug`.
    pub password_hash: String,
    pub is_admin: bool,
    pub created_at: OffsetDateTime,
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("password_hash", &"<redacted>")
            .field("is_admin", &self.is_admin)
            .field("created_at", &self.created_at)
            .finish()
    }
}

/// A session to store: the cookie's secret is kept only as its hash.
/// `Debug` hides the CSRF token.
#[derive(Clone, PartialEq, Eq)]
pub struct NewSession {
    pub id_hash: Sha256Hex,
    pub user_id: UserId,
    pub csrf_token: String,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

/// A live session with its user. `Debug` hides the CSRF token.
#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    pub id_hash: Sha256Hex,
    pub user: User,
    pub csrf_token: String,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

impl fmt::Debug for NewSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewSession")
            .field("id_hash", &self.id_hash)
            .field("user_id", &self.user_id)
            .field("csrf_token", &"<redacted>")
            .field("created_at", &self.created_at)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("id_hash", &self.id_hash)
            .field("user", &self.user)
            .field("csrf_token", &"<redacted>")
            .field("created_at", &self.created_at)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// A personal API token as listed to its owner (the secret is never stored).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiToken {
    pub id: ApiTokenId,
    pub user_id: UserId,
    pub name: String,
    pub created_at: OffsetDateTime,
    pub last_used_at: Option<OffsetDateTime>,
}

/// One uploaded file, already validated and hashed by the caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewUpload {
    pub owner: UserId,
    pub sha256: Sha256Hex,
    pub size: u64,
    pub original_filename: String,
    pub kind: RecordingKind,
}

/// What [`crate::Store::add_upload`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UploadOutcome {
    pub recording: RecordingId,
    /// `false` when the same bytes were already stored (by anyone).
    pub newly_stored: bool,
    /// The analysis job enqueued by this call: only for a new recording.
    pub job: Option<JobId>,
    /// `false` when this owner had already uploaded the same bytes. Unlike
    /// `newly_stored`, it says nothing about other owners.
    pub new_for_owner: bool,
}

/// A recording without any owner's view of it (for workers and operators).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recording {
    pub id: RecordingId,
    pub sha256: Sha256Hex,
    pub size: u64,
    pub kind: RecordingKind,
    pub created_at: OffsetDateTime,
    pub analyzed_at: Option<OffsetDateTime>,
}

/// One row of a user's games list: the recording as its owner sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordingSummary {
    pub id: RecordingId,
    pub sha256: Sha256Hex,
    pub size: u64,
    pub kind: RecordingKind,
    /// The name this user uploaded it under (their first upload of it).
    pub original_filename: String,
    pub uploaded_at: OffsetDateTime,
    /// The state of the latest analysis job, if any.
    pub job_state: Option<JobState>,
    pub last_error: Option<String>,
    pub analyzed: bool,
    pub played_at: Option<OffsetDateTime>,
    pub map: Option<String>,
    pub match_type: Option<String>,
    pub team_size: Option<u32>,
    /// The first two sides' [`GAMES_SCORE_METRIC`], else their
    /// [`GAMES_SCORE_FALLBACK_METRIC`] (`[blue, orange]` for Rocket
    /// League), once analysed.
    pub score: Option<[u32; 2]>,
    /// The owner's stored outcome (see [`OwnerOutcome`]).
    pub outcome: OwnerOutcome,
}

/// The per-side metric a games-list row shows as its score: a Rocket League
/// side's final score from the replay header, which counts the goals of a
/// player who left the match. The games list is the Rocket League list from
/// before every kind was stored the same way; it reads the neutral rows like
/// any list.
pub const GAMES_SCORE_METRIC: &str = "core.final_score";

/// The score of a side without [`GAMES_SCORE_METRIC`] (analyses made before
/// the domain had it): the sum of its players' goals.
pub const GAMES_SCORE_FALLBACK_METRIC: &str = "core.goals";

/// The facets the games list shows and filters as its map, playlist and
/// team size columns (Rocket League's facet keys).
pub const GAMES_MAP_FACET: &str = "map";
/// See [`GAMES_MAP_FACET`].
pub const GAMES_PLAYLIST_FACET: &str = "playlist";
/// See [`GAMES_MAP_FACET`].
pub const GAMES_TEAM_SIZE_FACET: &str = "team_size";

/// How to order a games list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordingSort {
    /// When the game was played, falling back to the upload time before analysis.
    #[default]
    PlayedAt,
    UploadedAt,
    Map,
    MatchType,
    TeamSize,
}

/// Filters, order and page of a games list. `Default` is newest first, 50 rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordingFilter {
    /// Played at or after.
    pub played_from: Option<OffsetDateTime>,
    /// Played strictly before.
    pub played_to: Option<OffsetDateTime>,
    pub match_type: Option<String>,
    pub map: Option<String>,
    pub team_size: Option<u32>,
    pub result: Option<OwnerOutcome>,
    pub sort: RecordingSort,
    pub descending: bool,
    pub limit: u32,
    pub offset: u32,
}

impl Default for RecordingFilter {
    fn default() -> Self {
        Self {
            played_from: None,
            played_to: None,
            match_type: None,
            map: None,
            team_size: None,
            result: None,
            sort: RecordingSort::PlayedAt,
            descending: true,
            limit: 50,
            offset: 0,
        }
    }
}

/// The values a user's games list can be filtered by, each sorted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RecordingFacets {
    pub maps: Vec<String>,
    pub match_types: Vec<String>,
    pub team_sizes: Vec<u32>,
}

/// One analysis job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    pub id: JobId,
    pub recording_id: RecordingId,
    pub state: JobState,
    pub attempts: u32,
    pub max_attempts: u32,
    pub last_error: Option<String>,
    pub worker_id: Option<String>,
    pub lease_until: Option<OffsetDateTime>,
    pub run_after: OffsetDateTime,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub finished_at: Option<OffsetDateTime>,
}

/// A job a worker now holds, with what it needs to fetch the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimedJob {
    pub job: Job,
    pub sha256: Sha256Hex,
    pub kind: RecordingKind,
}

/// A job as shown on a user's uploads page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserJob {
    pub job: Job,
    pub recording_id: RecordingId,
    pub original_filename: String,
    pub uploaded_at: OffsetDateTime,
}

/// How many jobs are in each state.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct JobCounts {
    pub queued: u64,
    pub running: u64,
    pub done: u64,
    pub dead: u64,
}

/// What [`crate::Store::fail_job`] did with a failed attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailOutcome {
    /// Queued again, not before `run_after`.
    Retry { run_after: OffsetDateTime },
    /// Out of attempts: dead-lettered with the error.
    Dead,
    /// This worker no longer held the job; nothing was changed.
    LeaseLost,
}

/// Exponential backoff between attempts: `base * 2^(attempts - 1)`, at most `max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(2),
            max: Duration::from_secs(300),
        }
    }
}

impl Backoff {
    /// The wait after the `attempts`-th failed attempt (1-based).
    pub fn delay(&self, attempts: u32) -> Duration {
        let exponent = attempts.saturating_sub(1).min(31);
        self.base
            .checked_mul(1u32 << exponent)
            .unwrap_or(self.max)
            .min(self.max)
    }
}

/// What an analysis produced: the engine's report as JSON text plus the
/// columns the games list filters and sorts on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AnalysisOutput {
    pub report_json: String,
    pub summary: AnalysisSummary,
    /// The domain's neutral analysis, stored in the neutral tables in the same
    /// transaction (`None` from analyzers that do not produce one yet).
    #[serde(default)]
    pub neutral: Option<filmroom_domain::Analysis>,
}

/// The facets and the side metric the legacy summary columns were filled
/// from. Those columns (`map`, `team_size`, `score_blue`...) are Rocket
/// League's shape and stay filled, from the neutral analysis, until nothing
/// reads them; a domain without these facets leaves them empty.
const LEGACY_MAP_FACET: &str = "map";
const LEGACY_MATCH_TYPE_FACET: &str = "playlist";
const LEGACY_TEAM_SIZE_FACET: &str = "team_size";

impl AnalysisOutput {
    /// What the store keeps of a domain's neutral analysis: the rows, the
    /// report as JSON text and the legacy summary columns derived from the
    /// neutral facts (never from a domain's own types).
    pub fn from_neutral(analysis: filmroom_domain::Analysis) -> Result<Self, serde_json::Error> {
        use filmroom_domain::Subject;
        let facts = &analysis.facts;
        let facet = |name: &str| facts.facets.get(name).cloned();
        // Sides in display order are the legacy teams 0 and 1.
        let side_index = |side: &Option<String>| {
            side.as_ref()
                .and_then(|s| analysis.sides.iter().position(|x| &x.key == s))
        };
        let side_metric = |side: &str, key: &str| {
            analysis
                .metrics
                .iter()
                .find(|m| m.key == key && m.subject == Subject::Side(side.to_owned()))
                .map(|m| m.value)
        };
        let mut score = [0u32; 2];
        for (slot, side) in score.iter_mut().zip(&analysis.sides) {
            *slot = side_metric(&side.key, GAMES_SCORE_METRIC)
                .or_else(|| side_metric(&side.key, GAMES_SCORE_FALLBACK_METRIC))
                .map_or(0, |v| v.max(0.0).min(f64::from(u32::MAX)) as u32);
        }
        let players = analysis
            .participants
            .iter()
            .map(|p| SummaryPlayer {
                name: p.display_name.clone(),
                // Keys without a platform account are names, not ids.
                id: (!p.is_bot && !p.key.starts_with("name:")).then(|| p.key.clone()),
                team: side_index(&p.side)
                    .and_then(|i| u8::try_from(i).ok())
                    .unwrap_or(0),
            })
            .collect();
        let summary = AnalysisSummary {
            played_at: facts.occurred_at,
            map: facet(LEGACY_MAP_FACET),
            match_type: facet(LEGACY_MATCH_TYPE_FACET),
            team_size: facet(LEGACY_TEAM_SIZE_FACET).and_then(|n| n.parse().ok()),
            score,
            players,
        };
        Ok(Self {
            report_json: serde_json::to_string(&analysis.report)?,
            summary,
            neutral: Some(analysis),
        })
    }
}

/// A participant identity key a user says is them, for one kind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityLink {
    pub kind: String,
    pub participant: String,
    pub created_at: OffsetDateTime,
    /// Said by the user, or inferred by the platform.
    pub source: crate::LinkSource,
}

/// An owner's result in a recording, stored when the analysis or the owner's
/// identity links change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OwnerOutcome {
    Win,
    Loss,
    Draw,
    /// No linked participant, or the recording has no result.
    Unknown,
}

impl OwnerOutcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            OwnerOutcome::Win => "win",
            OwnerOutcome::Loss => "loss",
            OwnerOutcome::Draw => "draw",
            OwnerOutcome::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "win" => Some(OwnerOutcome::Win),
            "loss" => Some(OwnerOutcome::Loss),
            "draw" => Some(OwnerOutcome::Draw),
            "unknown" => Some(OwnerOutcome::Unknown),
            _ => None,
        }
    }

    /// The outcome as the domain crate names it; `None` when unknown.
    pub fn side_outcome(self) -> Option<filmroom_domain::SideOutcome> {
        match self {
            OwnerOutcome::Win => Some(filmroom_domain::SideOutcome::Win),
            OwnerOutcome::Loss => Some(filmroom_domain::SideOutcome::Loss),
            OwnerOutcome::Draw => Some(filmroom_domain::SideOutcome::Draw),
            OwnerOutcome::Unknown => None,
        }
    }
}

/// A recording's neutral analysis as stored (the report stays in its own
/// column), with the asking owner's "me" and outcome.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StoredAnalysis {
    pub kind: String,
    pub facts: filmroom_domain::Facts,
    pub sides: Vec<filmroom_domain::Side>,
    pub participants: Vec<filmroom_domain::Participant>,
    pub metrics: Vec<filmroom_domain::Metric>,
    pub events: Vec<filmroom_domain::Event>,
    pub passages: Vec<filmroom_domain::Passage>,
    pub revision: u32,
    pub degraded: Option<filmroom_domain::Degraded>,
    /// The participant key that is the owner, if one of their links matches.
    pub me: Option<String>,
    pub outcome: OwnerOutcome,
}

/// What [`crate::Store::list_recordings_page`] lists: a user's recordings of
/// every kind unless `kind` is set, every filter combined with AND.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordingQuery {
    pub kind: Option<String>,
    /// `(facet, value)` pairs the recording must all have (values ignore case).
    pub facets: Vec<(String, String)>,
    pub outcome: Option<OwnerOutcome>,
    /// Happened at or after.
    pub occurred_from: Option<OffsetDateTime>,
    /// Happened strictly before.
    pub occurred_to: Option<OffsetDateTime>,
    pub sort: RecordingOrder,
    pub descending: bool,
    pub limit: u32,
    pub offset: u32,
    /// Continue after this row (a previous page's [`RecordingPage::next`]):
    /// keyset paging, as cheap at row 9,000 as at row 0. Must have been made
    /// with the same sort and direction.
    pub cursor: Option<RecordingCursor>,
}

impl Default for RecordingQuery {
    fn default() -> Self {
        Self {
            kind: None,
            facets: Vec::new(),
            outcome: None,
            occurred_from: None,
            occurred_to: None,
            sort: RecordingOrder::OccurredAt,
            descending: true,
            limit: 50,
            offset: 0,
            cursor: None,
        }
    }
}

/// The order of a recordings list; unknown values always come last.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordingOrder {
    OccurredAt,
    UploadedAt,
    Duration,
    Title,
}

/// One page of a recordings list and how many match in all.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordingPage {
    pub items: Vec<RecordingListItem>,
    pub total: u64,
    /// Where the next page starts, when there are more rows after this one.
    pub next: Option<RecordingCursor>,
}

/// A recording as its owner's list shows it: stored facts only.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordingListItem {
    pub id: RecordingId,
    pub kind: String,
    pub title: Option<String>,
    pub occurred_at: Option<OffsetDateTime>,
    pub duration_s: Option<f64>,
    pub size: u64,
    pub original_filename: String,
    pub uploaded_at: OffsetDateTime,
    /// The analysis revision of the stored neutral rows (`None`: not yet).
    pub revision: Option<u32>,
    /// The state of the owner-visible upload job.
    pub job_state: Option<JobState>,
    pub last_error: Option<String>,
    pub me: Option<String>,
    pub outcome: OwnerOutcome,
    pub facets: std::collections::BTreeMap<String, String>,
    pub degraded: Option<filmroom_domain::Degraded>,
}

/// Which recordings of a kind [`crate::Store::queue_reanalysis`] queues.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReanalysisScope {
    /// Those analysed by an older revision (or before revisions were stored).
    Outdated,
    /// Every analysed recording, whatever its revision.
    Every,
}

/// One recording's value of a metric for the owner's own participant.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MetricPoint {
    pub recording_id: RecordingId,
    pub played_at: Option<OffsetDateTime>,
    pub value: f64,
    pub outcome: OwnerOutcome,
}

/// The summary columns of an analysis. Team 0 is blue, team 1 orange.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AnalysisSummary {
    pub played_at: Option<OffsetDateTime>,
    pub map: Option<String>,
    /// The playlist or match type (e.g. "Online", "Private").
    pub match_type: Option<String>,
    pub team_size: Option<u32>,
    /// Goals `[blue, orange]`.
    pub score: [u32; 2],
    pub players: Vec<SummaryPlayer>,
}

/// A participant as the store keeps it, so it can tell a user's result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummaryPlayer {
    pub name: String,
    /// `"platform:id"` when the recording has it.
    pub id: Option<String>,
    /// 0 blue, 1 orange.
    pub team: u8,
}

// ---- the coach ----

/// A conversation to start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewConversation {
    pub owner: UserId,
    pub title: String,
    /// The coaching profile (persona and prompt set) it runs under.
    pub profile: String,
}

/// A conversation with the coach.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conversation {
    pub id: ConversationId,
    pub owner: UserId,
    pub title: String,
    pub profile: String,
    pub created_at: OffsetDateTime,
    /// Bumped by every appended message.
    pub updated_at: OffsetDateTime,
}

/// A conversation with totals over its messages, for the conversations list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConversationSummary {
    pub conversation: Conversation,
    pub message_count: u64,
    /// Input + output + cache-read + cache-write tokens of all its messages.
    pub total_tokens: u64,
    pub cost_micros: u64,
}

/// A pointer from a message to a moment of one of the user's games.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Citation {
    pub recording: RecordingId,
    /// Seconds from the start of the recording.
    pub at_seconds: f64,
    pub label: String,
}

/// A message to append to a conversation.
#[derive(Clone, Debug, PartialEq)]
pub struct NewMessage {
    /// Chosen by the caller, so usage records can name it before it is saved.
    pub id: MessageId,
    pub conversation: ConversationId,
    pub role: MessageRole,
    pub text: String,
    /// A JSON array, opaque to the store (`"[]"` when none).
    pub tool_calls_json: String,
    /// A JSON array, opaque to the store (`"[]"` when none).
    pub attachments_json: String,
    pub citations: Vec<Citation>,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub stop_reason: Option<String>,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_read_tokens: u64,
    pub cache_write_tokens: u64,
    pub cost_micros: u64,
}

/// A saved message: every [`NewMessage`] field, plus when it was saved.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredMessage {
    pub id: MessageId,
    pub conversation: ConversationId,
    pub role: MessageRole,
    pub text: String,
    pub tool_calls_json: String,
    pub attachments_json: String,
    /// In the order they were given.
    pub citations: Vec<Citation>,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub stop_reason: Option<String>,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_read_tokens: u64,
    pub cache_write_tokens: u64,
    pub cost_micros: u64,
    pub created_at: OffsetDateTime,
}

/// A note about the user's play, kept across conversations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    pub id: NoteId,
    pub owner: UserId,
    pub text: String,
    pub author: NoteAuthor,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// One metered call to a model provider, to record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewUsageRecord {
    pub user: UserId,
    /// Must be `user`'s conversation when set.
    pub conversation: Option<ConversationId>,
    /// The message the call produced; it need not be saved (yet, or ever).
    pub message: Option<MessageId>,
    pub provider: String,
    pub model: String,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_read_tokens: u64,
    pub cache_write_tokens: u64,
    pub latency_ms: u64,
    pub cost_micros: u64,
    pub outcome: UsageOutcome,
    pub error: Option<String>,
}

/// A recorded model call: every [`NewUsageRecord`] field, plus its id and time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageRecord {
    pub id: UsageRecordId,
    pub user: UserId,
    /// `None` once the conversation is deleted (usage is kept for accounting).
    pub conversation: Option<ConversationId>,
    pub message: Option<MessageId>,
    pub provider: String,
    pub model: String,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_read_tokens: u64,
    pub cache_write_tokens: u64,
    pub latency_ms: u64,
    pub cost_micros: u64,
    pub outcome: UsageOutcome,
    pub error: Option<String>,
    pub created_at: OffsetDateTime,
}

/// Sums over a user's usage records in a time range.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct UsageTotals {
    pub calls: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_read_tokens: u64,
    pub cache_write_tokens: u64,
    pub cost_micros: u64,
}

/// An amount held against a user's budget for one period until settled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BudgetReservation {
    pub id: BudgetReservationId,
    pub user: UserId,
    /// An opaque key such as `"2026-11"`.
    pub period: String,
    pub amount: u64,
}

/// Where a user's budget period stands. Zeros for a period never used.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BudgetStatus {
    /// Settled charges.
    pub spent: u64,
    /// Held by reservations not settled yet.
    pub reserved: u64,
    /// Tokens providers reported beyond what their calls reserved: charged to
    /// the operator, not counted in `spent`.
    pub overrun: u64,
}

/// What settling a reservation charged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BudgetSettlement {
    /// Added to the user's `spent`: the real amount, at most what was held.
    pub charged: u64,
    /// The real amount beyond what was held (the operator's).
    pub overrun: u64,
}

/// One process sharing the database, as the process registry knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeRecord {
    /// The configured node name (`jobs.node`), unique among live processes.
    pub name: String,
    /// Random per process start.
    pub instance: String,
    pub host: String,
    pub pid: u32,
    pub started_at: OffsetDateTime,
    pub heartbeat_at: OffsetDateTime,
    /// Analysis workers the process runs (0: web only).
    pub workers: u32,
}

/// A page of a conversation's messages, oldest first.
#[derive(Clone, Debug, PartialEq)]
pub struct MessagePage {
    pub messages: Vec<StoredMessage>,
    /// Whether older messages exist before the first one of the page.
    pub has_older: bool,
}

/// A sliding rate-limit window: at most `max` events in any `seconds`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateWindow {
    pub seconds: u64,
    pub max: u64,
}

/// A window's state after an admitted request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowState {
    pub seconds: u64,
    pub max: u64,
    /// Events in the window, the request just admitted included.
    pub used: u64,
    /// When the oldest counted event leaves the window (one slot frees up).
    pub reset_at: OffsetDateTime,
}

/// What [`crate::Store::admit_request`] admitted: every window's state, in
/// the order the windows were given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateAdmission {
    pub windows: Vec<WindowState>,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use filmroom_domain::{Analysis, Facts, Metric, Outcome, Participant, Side, Subject, Unit};

    fn analysis(facets: &[(&str, &str)], sides: &[&str], metrics: Vec<Metric>) -> Analysis {
        Analysis {
            facts: Facts {
                title: "t".into(),
                occurred_at: Some(OffsetDateTime::UNIX_EPOCH),
                duration_s: Some(300.0),
                facets: facets
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
                outcome: Outcome::None,
            },
            sides: sides
                .iter()
                .map(|s| Side {
                    key: (*s).into(),
                    display_name: (*s).into(),
                })
                .collect(),
            participants: vec![
                Participant {
                    key: "steam:1".into(),
                    display_name: "Ann".into(),
                    side: Some("orange".into()),
                    is_bot: false,
                },
                Participant {
                    key: "name:Bot".into(),
                    display_name: "Bot".into(),
                    side: Some("blue".into()),
                    is_bot: true,
                },
            ],
            metrics,
            events: vec![],
            passages: vec![],
            report: serde_json::json!({"b": 1, "a": [2]}),
            revision: 4,
            degraded: None,
        }
    }

    fn goals(side: &str, value: f64) -> Metric {
        Metric {
            subject: Subject::Side(side.into()),
            key: "core.goals".into(),
            value,
            unit: Unit::Count,
            higher_is_better: Some(true),
        }
    }

    #[test]
    fn the_summary_score_is_the_sides_final_score_else_their_goals() {
        let final_score = |side: &str, value: f64| Metric {
            key: GAMES_SCORE_METRIC.into(),
            ..goals(side, value)
        };
        // A scorer left: the header says 7-5, the players' goals add to 7-4.
        let neutral = analysis(
            &[],
            &["blue", "orange"],
            vec![
                goals("blue", 7.0),
                goals("orange", 4.0),
                final_score("blue", 7.0),
                final_score("orange", 5.0),
            ],
        );
        let output = AnalysisOutput::from_neutral(neutral).unwrap();
        assert_eq!(output.summary.score, [7, 5]);
        // An analysis without the final score keeps the goals.
        let neutral = analysis(
            &[],
            &["blue", "orange"],
            vec![goals("blue", 2.0), goals("orange", 1.0)],
        );
        let output = AnalysisOutput::from_neutral(neutral).unwrap();
        assert_eq!(output.summary.score, [2, 1]);
    }

    #[test]
    fn the_legacy_summary_comes_from_the_neutral_facets_sides_and_participants() {
        let neutral = analysis(
            &[
                ("map", "stadium_p"),
                ("playlist", "Ranked"),
                ("team_size", "2"),
            ],
            &["blue", "orange"],
            vec![goals("orange", 1.0), goals("blue", 3.0)],
        );
        let output = AnalysisOutput::from_neutral(neutral.clone()).unwrap();
        let summary = &output.summary;
        assert_eq!(summary.played_at, Some(OffsetDateTime::UNIX_EPOCH));
        assert_eq!(summary.map.as_deref(), Some("stadium_p"));
        assert_eq!(summary.match_type.as_deref(), Some("Ranked"));
        assert_eq!(summary.team_size, Some(2));
        assert_eq!(summary.score, [3, 1]);
        assert_eq!(
            summary.players,
            [
                SummaryPlayer {
                    name: "Ann".into(),
                    id: Some("steam:1".into()),
                    team: 1
                },
                SummaryPlayer {
                    name: "Bot".into(),
                    id: None,
                    team: 0
                },
            ]
        );
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&output.report_json).unwrap(),
            neutral.report
        );
        assert_eq!(output.neutral, Some(neutral));
    }

    #[test]
    fn a_recording_without_those_facets_or_sides_leaves_the_legacy_columns_empty() {
        let output =
            AnalysisOutput::from_neutral(analysis(&[("speaker", "ann")], &[], vec![])).unwrap();
        let summary = &output.summary;
        assert_eq!(
            (&summary.map, &summary.match_type, summary.team_size),
            (&None, &None, None)
        );
        assert_eq!(summary.score, [0, 0]);
    }
}
