//! What the coach's endpoints send and accept. Times are Unix seconds (UTC);
//! money is integer micro-dollars.

use filmroom_store::{
    Citation, Conversation, ConversationSummary, MessageRole, Note, NoteAuthor, StoredMessage,
    UsageRecord, UsageTotals,
};
use serde::{Deserialize, Serialize};

/// `POST /api/v1/coach/chat`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ChatRequest)]
pub struct ChatJson {
    /// Continue this conversation; without it a new one starts.
    #[schema(format = Uuid)]
    pub conversation_id: Option<String>,
    /// The question: 1 to 8,000 characters once trimmed.
    #[schema(schema_with = crate::openapi::chat_message)]
    pub message: String,
    /// The coach profile of a new conversation (default: `rocket-league`).
    pub profile: Option<String>,
    /// Up to four images, for a profile and a model that read them.
    #[serde(default)]
    #[schema(max_items = 4)]
    pub attachments: Vec<AttachmentJson>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Attachment)]
pub struct AttachmentJson {
    /// `image/png`, `image/jpeg`, `image/gif` or `image/webp`.
    #[schema(schema_with = crate::openapi::image_media_type)]
    pub media_type: String,
    /// The image's bytes in standard base64.
    pub data_base64: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Conversation)]
pub struct ConversationJson {
    pub id: String,
    pub title: String,
    pub profile: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<&Conversation> for ConversationJson {
    fn from(c: &Conversation) -> Self {
        Self {
            id: c.id.to_string(),
            title: c.title.clone(),
            profile: c.profile.clone(),
            created_at: c.created_at.unix_timestamp(),
            updated_at: c.updated_at.unix_timestamp(),
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = ConversationSummary)]
pub struct ConversationSummaryJson {
    #[serde(flatten)]
    pub conversation: ConversationJson,
    pub message_count: u64,
    pub total_tokens: u64,
    pub cost_micros: u64,
}

impl From<&ConversationSummary> for ConversationSummaryJson {
    fn from(s: &ConversationSummary) -> Self {
        Self {
            conversation: ConversationJson::from(&s.conversation),
            message_count: s.message_count,
            total_tokens: s.total_tokens,
            cost_micros: s.cost_micros,
        }
    }
}

#[derive(Debug, Serialize, Clone, utoipa::ToSchema)]
#[schema(as = Citation)]
pub struct CitationJson {
    pub game_id: String,
    pub at_seconds: f64,
    pub label: String,
    /// The game page at that moment.
    pub url: String,
}

/// The game page, opened at a moment of the match.
pub fn moment_url(game_id: &str, at_seconds: f64) -> String {
    format!(
        "/games/{game_id}?tab=timeline&t={}",
        at_seconds.max(0.0).floor()
    )
}

impl From<&Citation> for CitationJson {
    fn from(c: &Citation) -> Self {
        let game_id = c.recording.to_string();
        Self {
            url: moment_url(&game_id, c.at_seconds),
            game_id,
            at_seconds: c.at_seconds,
            label: c.label.clone(),
        }
    }
}

#[derive(Debug, Serialize, Default, Clone, Copy, utoipa::ToSchema)]
#[schema(as = TokenCounts)]
pub struct TokensJson {
    pub input: u64,
    pub output: u64,
    pub cache_read: u64,
    pub cache_write: u64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Message)]
pub struct MessageJson {
    pub id: String,
    /// `user` or `assistant`.
    #[schema(schema_with = crate::openapi::message_role)]
    pub role: &'static str,
    pub text: String,
    /// The tools the coach called for this answer, with their results.
    pub tool_calls: serde_json::Value,
    /// Attached images: media type, size and hash (the bytes are not echoed).
    pub attachments: serde_json::Value,
    pub citations: Vec<CitationJson>,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub stop_reason: Option<String>,
    pub tokens: TokensJson,
    pub cost_micros: u64,
    pub created_at: i64,
}

fn json_or_empty(raw: &str) -> serde_json::Value {
    serde_json::from_str(raw).unwrap_or_else(|_| serde_json::Value::Array(Vec::new()))
}

impl From<&StoredMessage> for MessageJson {
    fn from(m: &StoredMessage) -> Self {
        Self {
            id: m.id.to_string(),
            role: match m.role {
                MessageRole::User => "user",
                MessageRole::Assistant => "assistant",
            },
            text: m.text.clone(),
            tool_calls: json_or_empty(&m.tool_calls_json),
            attachments: json_or_empty(&m.attachments_json),
            citations: m.citations.iter().map(CitationJson::from).collect(),
            provider: m.provider.clone(),
            model: m.model.clone(),
            stop_reason: m.stop_reason.clone(),
            tokens: TokensJson {
                input: m.input_tokens,
                output: m.output_tokens,
                cache_read: m.cache_read_tokens,
                cache_write: m.cache_write_tokens,
            },
            cost_micros: m.cost_micros,
            created_at: m.created_at.unix_timestamp(),
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Note)]
pub struct NoteJson {
    pub id: String,
    pub text: String,
    /// `user` or `coach`.
    #[schema(schema_with = crate::openapi::note_author)]
    pub author: &'static str,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<&Note> for NoteJson {
    fn from(n: &Note) -> Self {
        Self {
            id: n.id.to_string(),
            text: n.text.clone(),
            author: match n.author {
                NoteAuthor::User => "user",
                NoteAuthor::Coach => "coach",
            },
            created_at: n.created_at.unix_timestamp(),
            updated_at: n.updated_at.unix_timestamp(),
        }
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NoteText)]
pub struct NoteTextJson {
    /// 1 to 2,000 characters once trimmed.
    #[schema(schema_with = crate::openapi::note_text)]
    pub text: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = UsageRecord)]
pub struct UsageRecordJson {
    pub id: String,
    pub conversation_id: Option<String>,
    pub message_id: Option<String>,
    pub provider: String,
    pub model: String,
    pub tokens: TokensJson,
    pub latency_ms: u64,
    pub cost_micros: u64,
    /// `ok`, `truncated` or `error`.
    #[schema(schema_with = crate::openapi::usage_outcome)]
    pub outcome: &'static str,
    pub error: Option<String>,
    pub created_at: i64,
}

impl From<&UsageRecord> for UsageRecordJson {
    fn from(u: &UsageRecord) -> Self {
        Self {
            id: u.id.to_string(),
            conversation_id: u.conversation.map(|c| c.to_string()),
            message_id: u.message.map(|m| m.to_string()),
            provider: u.provider.clone(),
            model: u.model.clone(),
            tokens: TokensJson {
                input: u.input_tokens,
                output: u.output_tokens,
                cache_read: u.cache_read_tokens,
                cache_write: u.cache_write_tokens,
            },
            latency_ms: u.latency_ms,
            cost_micros: u.cost_micros,
            outcome: u.outcome.as_str(),
            error: u.error.clone(),
            created_at: u.created_at.unix_timestamp(),
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = UsageTotals)]
pub struct UsageTotalsJson {
    pub calls: u64,
    pub tokens: TokensJson,
    pub cost_micros: u64,
}

impl From<&UsageTotals> for UsageTotalsJson {
    fn from(t: &UsageTotals) -> Self {
        Self {
            calls: t.calls,
            tokens: TokensJson {
                input: t.input_tokens,
                output: t.output_tokens,
                cache_read: t.cache_read_tokens,
                cache_write: t.cache_write_tokens,
            },
            cost_micros: t.cost_micros,
        }
    }
}

/// The payload of one server-sent event of the chat stream; `NAME` is the
/// event's name, so a payload cannot be sent under another name than the
/// one the OpenAPI document gives it.
pub trait ChatEvent: Serialize {
    const NAME: &'static str;
}

/// First event: where the question and the answer are stored.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ConversationEvent {
    pub conversation_id: String,
    pub profile: String,
    pub question_id: String,
    pub answer_id: String,
}

impl ChatEvent for ConversationEvent {
    const NAME: &'static str = "conversation";
}

/// The monthly budget is 80% spent or more.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WarningEvent {
    /// `budget_80_percent`.
    pub code: &'static str,
    pub message: String,
    pub budget: super::limits::BudgetState,
}

impl ChatEvent for WarningEvent {
    const NAME: &'static str = "warning";
}

/// The coach called a tool.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ToolStartedEvent {
    pub id: String,
    pub name: String,
    /// The tool's arguments as the model gave them (`null` if they were not JSON).
    pub arguments: serde_json::Value,
}

impl ChatEvent for ToolStartedEvent {
    const NAME: &'static str = "tool_started";
}

/// A tool call ended.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ToolFinishedEvent {
    pub id: String,
    pub name: String,
    pub is_error: bool,
}

impl ChatEvent for ToolFinishedEvent {
    const NAME: &'static str = "tool_finished";
}

/// More text of the answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeltaEvent {
    pub text: String,
}

impl ChatEvent for DeltaEvent {
    const NAME: &'static str = "delta";
}

/// The answer is complete and saved.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DoneEvent {
    pub message_id: String,
    pub citations: Vec<CitationJson>,
    pub tokens: TokensJson,
    pub cost_micros: u64,
    pub provider: String,
    pub model: String,
    pub stop_reason: Option<String>,
}

impl ChatEvent for DoneEvent {
    const NAME: &'static str = "done";
}

/// The answer failed; what was said so far is saved when `message_id` is set.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorEvent {
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
}

impl ChatEvent for ErrorEvent {
    const NAME: &'static str = "error";
}
