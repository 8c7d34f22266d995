//! The coach's HTTP endpoints: the streamed chat, conversations, notes,
//! profiles and usage. Every id in a path is the caller's own or answers 404.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use filmroom_coach::{
    CoachEvent, MAX_NOTE_CHARS, Message, Part, Role, TurnOutcome, TurnRequest, first_call_estimate,
    run_turn,
};
use filmroom_store::{
    Citation, Conversation, ConversationId, MessageId, MessageRole, NewConversation, NewMessage,
    NoteAuthor, NoteId, RecordingId, Sha256Hex, Store, UserId,
};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::sync::mpsc;

use super::data::StoreCoachData;
use super::dto::*;
use super::limits::{self, budget_period, period_start};
use super::meter::{StoreMeter, UNMETERED_PROVIDER};
use crate::accounts::csrf::ApiWrite;
use crate::app::AppState;
use crate::auth::ApiUser;
use crate::error::AppError;
use crate::owned::{Owned, parse_id};

/// The longest question the coach takes, in characters.
pub const MAX_MESSAGE_CHARS: usize = 8_000;
/// Images per message.
pub const MAX_ATTACHMENTS: usize = 4;
/// Earlier messages sent back to the model with a new question.
const HISTORY_MESSAGES: usize = 20;
/// A new conversation's title: the start of its first question.
const TITLE_CHARS: usize = 60;

fn json_body<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, AppError> {
    body.map(|Json(b)| b).map_err(AppError::from_json_rejection)
}

/// A question as asked: trimmed, 1 to [`MAX_MESSAGE_CHARS`] characters.
pub fn parse_message(raw: &str) -> Result<String, AppError> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(AppError::bad_request(
            "empty_message",
            "Ask the coach something.",
        ));
    }
    if text.chars().count() > MAX_MESSAGE_CHARS {
        return Err(AppError::bad_request(
            "message_too_long",
            format!("A message can have at most {MAX_MESSAGE_CHARS} characters."),
        ));
    }
    Ok(text.to_owned())
}

/// A decoded, checked image attachment.
pub struct Image {
    pub media_type: &'static str,
    pub bytes: Vec<u8>,
}

/// The image formats models read, by their first bytes.
fn sniff_image(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// Decodes attachments and checks that each is an image of the type it claims,
/// within the size limit, before anything is stored or sent.
pub fn parse_attachments(raw: &[AttachmentJson], max_bytes: usize) -> Result<Vec<Image>, AppError> {
    if raw.len() > MAX_ATTACHMENTS {
        return Err(AppError::bad_request(
            "too_many_attachments",
            format!("Attach at most {MAX_ATTACHMENTS} images to one message."),
        ));
    }
    let mut images = Vec::with_capacity(raw.len());
    for (n, attachment) in raw.iter().enumerate() {
        let n = n + 1;
        // Base64 is 4/3 of the bytes: refuse before decoding anything huge.
        if attachment.data_base64.len() / 4 * 3 > max_bytes.saturating_add(3) {
            return Err(AppError::bad_request(
                "attachment_too_large",
                format!("Image {n} is larger than {max_bytes} bytes."),
            ));
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(attachment.data_base64.trim())
            .map_err(|_| {
                AppError::bad_request(
                    "invalid_attachment",
                    format!("Image {n} is not valid base64."),
                )
            })?;
        if bytes.len() > max_bytes {
            return Err(AppError::bad_request(
                "attachment_too_large",
                format!("Image {n} is larger than {max_bytes} bytes."),
            ));
        }
        match sniff_image(&bytes) {
            Some(kind) if kind == attachment.media_type => images.push(Image {
                media_type: kind,
                bytes,
            }),
            Some(kind) => {
                return Err(AppError::bad_request(
                    "invalid_attachment",
                    format!("Image {n} is {kind}, not {}.", attachment.media_type),
                ));
            }
            None => {
                return Err(AppError::bad_request(
                    "invalid_attachment",
                    format!("Image {n} is not a PNG, JPEG, GIF or WebP image."),
                ));
            }
        }
    }
    Ok(images)
}

fn title_of(message: &str) -> String {
    let first_line = message.lines().next().unwrap_or(message);
    let mut title: String = first_line.chars().take(TITLE_CHARS).collect();
    if first_line.chars().count() > TITLE_CHARS {
        title.push('…');
    }
    title
}

/// The plan the user is on, with its limits.
pub async fn user_plan(
    state: &AppState,
    user: UserId,
) -> Result<(String, crate::config::PlanConfig), AppError> {
    let assigned = state.store.user_plan(user).await?;
    state
        .config
        .plan(assigned.as_deref())
        .map(|(name, plan)| (name.to_owned(), plan.clone()))
        .ok_or_else(|| {
            AppError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "no_plan",
                "The coach has no usage plan configured; ask the operator.",
            )
        })
}

/// Earlier turns as the model sees them: text only (images went with their
/// own message), oldest first, the last [`HISTORY_MESSAGES`].
async fn history(
    store: &dyn Store,
    user: UserId,
    conversation: ConversationId,
) -> Result<Vec<Message>, AppError> {
    let stored = store.messages(user, conversation).await?;
    let skip = stored.len().saturating_sub(HISTORY_MESSAGES);
    Ok(stored
        .iter()
        .skip(skip)
        .filter(|m| !m.text.trim().is_empty())
        .map(|m| match m.role {
            MessageRole::User => Message::user(m.text.clone()),
            MessageRole::Assistant => Message::assistant(m.text.clone()),
        })
        .collect())
}

/// `POST /api/v1/coach/chat`: checks the request and the plan's limits, saves
/// the question, then streams the answer as server-sent events:
/// `conversation`, `warning`, `tool_started`, `tool_finished`, `delta`, and
/// exactly one `done` or `error` at the end. The answer is saved (with its
/// tool calls, citations, tokens and cost) even if the client goes away.
#[utoipa::path(post, path = "/api/v1/coach/chat", tag = "coach",
    summary = "Ask the coach; the answer streams as server-sent events",
    description = "Events: `conversation`, maybe `warning`, `tool_started`, `tool_finished`, `delta`, \
        then exactly one `done` or `error`. Citations in the text are written `[rec:ID@m:ss]` \
        (older answers: `[game:ID@m:ss]`).",
    request_body = ChatJson,
    responses(
        (status = 200, description = "The answer as an event stream; each event's `data` is JSON",
            content(("text/event-stream", item_schema = crate::openapi::ChatStreamEvent)),
            headers(
                ("X-RateLimit-Limit" = u64, description = "The limit of the window closest to full (or of the budget)"),
                ("X-RateLimit-Remaining" = u64, description = "What is left of it"),
                ("X-RateLimit-Reset" = u64, description = "Seconds until the window frees a slot"),
            )),
        (status = 400, description = "The question, its images or its profile are not valid", body = crate::error::Body),
        (status = 404, description = "No such conversation of the caller's", body = crate::error::Body),
        (status = 429, description = "Over a plan limit (`rate_limited`) or the monthly budget is spent (`budget_exhausted`)",
            body = crate::error::Body, headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ))]
pub async fn chat(
    State(state): State<AppState>,
    ApiWrite(identity): ApiWrite,
    body: Result<Json<ChatJson>, JsonRejection>,
) -> Result<Response, AppError> {
    let body = json_body(body)?;
    let text = parse_message(&body.message)?;
    let coach = state.coach.clone();
    let images = parse_attachments(&body.attachments, coach.max_image_bytes)?;
    let user = identity.user.id;
    let store = state.store.clone();

    let existing = match &body.conversation_id {
        Some(raw) => Some(
            store
                .conversation_for_owner(user, parse_id(raw)?)
                .await?
                .ok_or_else(AppError::not_found)?,
        ),
        None => None,
    };
    let profile_id = match (&existing, &body.profile) {
        (Some(c), _) => c.profile.clone(),
        (None, Some(p)) => p.clone(),
        (None, None) => coach.profiles.default_profile().id.clone(),
    };
    let profile = coach.profiles.get(&profile_id).ok_or_else(|| {
        AppError::bad_request(
            "unknown_profile",
            format!("There is no coach profile {profile_id:?}."),
        )
    })?;
    if !images.is_empty() && !profile.accepts_images {
        return Err(AppError::bad_request(
            "attachments_not_accepted",
            format!("The {} coach does not take images.", profile.name),
        ));
    }
    let Some(binding) = coach.binding_for_question(!images.is_empty()).cloned() else {
        return Err(AppError::bad_request(
            "vision_unsupported",
            format!(
                "The configured model ({}) does not read images; the operator can set a vision model \
                 (coach.vision_provider).",
                coach.binding.model
            ),
        ));
    };

    let (_, plan) = user_plan(&state, user).await?;
    let earlier = match &existing {
        Some(c) => history(store.as_ref(), user, c.id).await?,
        None => Vec::new(),
    };
    let mut parts = vec![Part::Text(text.clone())];
    for image in &images {
        parts.push(Part::Image {
            media_type: image.media_type.to_owned(),
            data_base64: base64::engine::general_purpose::STANDARD.encode(&image.bytes),
        });
    }
    let request = TurnRequest {
        profile: profile.clone(),
        history: earlier,
        user_message: Message {
            role: Role::User,
            parts,
        },
        max_tokens: coach.max_tokens,
        max_tool_rounds: coach.max_tool_rounds,
    };
    // Admission before any write: the first call's budget is held now, so a
    // question the budget cannot take stores no conversation and no message.
    let first_call_tokens = (binding.name != UNMETERED_PROVIDER).then(|| {
        let estimate = first_call_estimate(&binding, &request);
        estimate
            .prompt_tokens
            .saturating_add(estimate.max_output_tokens)
    });
    let admission = limits::admit_chat(&state, user, &plan, first_call_tokens).await?;

    let now = state.clock.now();
    let saved = save_question(&state, user, existing, &profile.id, &text, &images, now).await;
    let (conversation, question) = match saved {
        Ok(saved) => saved,
        Err(error) => {
            if let Some(hold) = &admission.hold {
                limits::release(&state, hold).await;
            }
            return Err(error);
        }
    };

    let answer_id = MessageId::new();
    let meter = Arc::new(StoreMeter {
        store: store.clone(),
        clock: state.clock.clone(),
        user,
        conversation: conversation.id,
        message: answer_id,
        period: budget_period(now),
        monthly_tokens: plan.monthly_tokens,
        node: state.node.name.clone(),
        admitted: std::sync::Mutex::new(admission.hold.clone()),
    });
    let data = StoreCoachData::new(store.clone(), user, now, &state.domains);
    let turn = run_turn(binding.at(now), Arc::new(data), meter.clone(), request);

    let (tx, rx) = mpsc::channel::<Event>(64);
    let opening = ConversationEvent {
        conversation_id: conversation.id.to_string(),
        profile: conversation.profile.clone(),
        question_id: question.id.to_string(),
        answer_id: answer_id.to_string(),
    };
    let _ = tx.send(sse_event(&opening)).await;
    if admission.budget.warning {
        let _ = tx.send(budget_warning(&admission.budget)).await;
    }
    let job = AnswerJob {
        state: state.clone(),
        user,
        conversation: conversation.id,
        answer_id,
        plan,
        meter,
    };
    tokio::spawn(job.run(turn, tx));

    let events = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|event| (Ok::<_, Infallible>(event), rx))
    });
    let mut response = Sse::new(events)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response();
    for (name, value) in admission.headers {
        response.headers_mut().insert(name, value);
    }
    Ok(response)
}

/// Stores what an admitted question creates: its conversation (when new), its
/// images and the question itself.
async fn save_question(
    state: &AppState,
    user: UserId,
    existing: Option<filmroom_store::Conversation>,
    profile: &str,
    text: &str,
    images: &[Image],
    now: time::OffsetDateTime,
) -> Result<(filmroom_store::Conversation, filmroom_store::StoredMessage), AppError> {
    let store = &state.store;
    let conversation = match existing {
        Some(c) => c,
        None => {
            store
                .create_conversation(
                    &NewConversation {
                        owner: user,
                        title: title_of(text),
                        profile: profile.to_owned(),
                    },
                    now,
                )
                .await?
        }
    };
    let mut attachment_meta = Vec::new();
    for image in images {
        let key = Sha256Hex::digest(&image.bytes);
        state
            .objects
            .put(&key, &image.bytes)
            .await
            .map_err(AppError::internal)?;
        attachment_meta.push(json!({
            "media_type": image.media_type,
            "bytes": image.bytes.len(),
            "sha256": key.as_str(),
        }));
    }
    let question = store
        .append_message(
            user,
            &NewMessage {
                id: MessageId::new(),
                conversation: conversation.id,
                role: MessageRole::User,
                text: text.to_owned(),
                tool_calls_json: "[]".to_owned(),
                attachments_json: serde_json::Value::Array(attachment_meta).to_string(),
                citations: Vec::new(),
                provider: None,
                model: None,
                stop_reason: None,
                input_tokens: 0,
                output_tokens: 0,
                cache_read_tokens: 0,
                cache_write_tokens: 0,
                cost_micros: 0,
            },
            now,
        )
        .await?;
    Ok((conversation, question))
}

fn sse_event<T: ChatEvent>(data: &T) -> Event {
    Event::default()
        .event(T::NAME)
        .json_data(data)
        .unwrap_or_else(|_| Event::default().event(T::NAME).data("{}"))
}

fn budget_warning(budget: &limits::BudgetState) -> Event {
    sse_event(&WarningEvent {
        code: "budget_80_percent",
        message: format!(
            "You have used {}% of this month's {} tokens.",
            budget.percent_used, budget.limit_tokens
        ),
        budget: budget.clone(),
    })
}

/// Runs one answer to the end and saves it, whether or not anyone still
/// listens: the model calls happen (and are metered) either way.
struct AnswerJob {
    state: AppState,
    user: UserId,
    conversation: ConversationId,
    answer_id: MessageId,
    plan: crate::config::PlanConfig,
    meter: Arc<StoreMeter>,
}

impl AnswerJob {
    async fn run(
        self,
        turn: futures_util::stream::BoxStream<'static, CoachEvent>,
        tx: mpsc::Sender<Event>,
    ) {
        self.relay(turn, tx).await;
        // A turn that failed before its first call leaves the admission hold.
        self.meter.release_unused().await;
    }

    async fn relay(
        &self,
        mut turn: futures_util::stream::BoxStream<'static, CoachEvent>,
        tx: mpsc::Sender<Event>,
    ) {
        while let Some(event) = turn.next().await {
            let (outcome, failure) = match event {
                CoachEvent::ToolStarted {
                    id,
                    name,
                    arguments_json,
                } => {
                    let arguments: serde_json::Value =
                        serde_json::from_str(&arguments_json).unwrap_or(serde_json::Value::Null);
                    let _ = tx
                        .send(sse_event(&ToolStartedEvent {
                            id,
                            name,
                            arguments,
                        }))
                        .await;
                    continue;
                }
                CoachEvent::ToolFinished {
                    id, name, is_error, ..
                } => {
                    let _ = tx
                        .send(sse_event(&ToolFinishedEvent { id, name, is_error }))
                        .await;
                    continue;
                }
                CoachEvent::TextDelta(text) => {
                    let _ = tx.send(sse_event(&DeltaEvent { text })).await;
                    continue;
                }
                CoachEvent::Done(outcome) => (outcome, None),
                CoachEvent::Failed {
                    code,
                    message,
                    partial,
                } => (partial, Some((code, message))),
            };
            let saved = self
                .save(&outcome, failure.as_ref().map(|(code, _)| code.as_str()))
                .await;
            if let Err(error) = &saved {
                tracing::error!(error = %error, "coach: failed to save an answer");
            }
            let final_event = match (&failure, saved) {
                (None, Ok(citations)) => sse_event(&DoneEvent {
                    message_id: self.answer_id.to_string(),
                    citations,
                    tokens: tokens_of(&outcome),
                    cost_micros: outcome.cost,
                    provider: outcome.provider.clone(),
                    model: outcome.model.clone(),
                    stop_reason: outcome.stop.as_ref().map(stop_name),
                }),
                (Some((code, message)), _) => sse_event(&ErrorEvent {
                    code: code.clone(),
                    message: message.clone(),
                    message_id: Some(self.answer_id.to_string()),
                }),
                (None, Err(_)) => sse_event(&ErrorEvent {
                    code: "internal".to_owned(),
                    message: "The answer could not be saved; it has been logged.".to_owned(),
                    message_id: None,
                }),
            };
            let _ = tx.send(final_event).await;
            if let Ok(budget) = limits::budget_state(&self.state, self.user, &self.plan).await
                && budget.warning
            {
                let _ = tx.send(budget_warning(&budget)).await;
            }
            return;
        }
    }

    /// Saves the answer with the citations the store accepts, and returns them.
    async fn save(
        &self,
        outcome: &TurnOutcome,
        failure: Option<&str>,
    ) -> Result<Vec<CitationJson>, filmroom_store::StoreError> {
        let citations: Vec<Citation> = outcome
            .citations
            .iter()
            .filter_map(|c| {
                Some(Citation {
                    recording: c.game_id.parse::<RecordingId>().ok()?,
                    at_seconds: c.at_seconds,
                    label: c.label.clone(),
                })
            })
            .collect();
        let tool_calls: Vec<serde_json::Value> = outcome
            .tool_calls
            .iter()
            .map(|t| {
                json!({
                    "id": t.id,
                    "name": t.name,
                    "arguments": serde_json::from_str::<serde_json::Value>(&t.arguments_json).unwrap_or(serde_json::Value::Null),
                    "is_error": t.is_error,
                    "result": serde_json::from_str::<serde_json::Value>(&t.content).unwrap_or_else(|_| serde_json::Value::String(t.content.clone())),
                })
            })
            .collect();
        let stop_reason = match failure {
            Some(code) => Some(format!("error:{code}")),
            None => outcome.stop.as_ref().map(stop_name),
        };
        let message = NewMessage {
            id: self.answer_id,
            conversation: self.conversation,
            role: MessageRole::Assistant,
            text: outcome.text.clone(),
            tool_calls_json: serde_json::Value::Array(tool_calls).to_string(),
            attachments_json: "[]".to_owned(),
            citations,
            provider: Some(outcome.provider.clone()),
            model: Some(outcome.model.clone()),
            stop_reason,
            input_tokens: outcome.usage.input_tokens,
            output_tokens: outcome.usage.output_tokens,
            cache_read_tokens: outcome.usage.cache_read_tokens,
            cache_write_tokens: outcome.usage.cache_write_tokens,
            cost_micros: outcome.cost,
        };
        let saved = self
            .state
            .store
            .append_message(self.user, &message, self.state.clock.now())
            .await?;
        Ok(saved.citations.iter().map(CitationJson::from).collect())
    }
}

fn tokens_of(outcome: &TurnOutcome) -> TokensJson {
    TokensJson {
        input: outcome.usage.input_tokens,
        output: outcome.usage.output_tokens,
        cache_read: outcome.usage.cache_read_tokens,
        cache_write: outcome.usage.cache_write_tokens,
    }
}

fn stop_name(stop: &filmroom_coach::StopReason) -> String {
    use filmroom_coach::StopReason as S;
    match stop {
        S::EndTurn => "end_turn".to_owned(),
        S::MaxTokens => "max_tokens".to_owned(),
        S::ToolUse => "tool_use".to_owned(),
        S::StopSequence => "stop_sequence".to_owned(),
        S::Other(other) => other.clone(),
    }
}

// ---- conversations ----

/// The caller's conversations, most recent first.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Conversations)]
pub struct ConversationsJson {
    pub conversations: Vec<ConversationSummaryJson>,
}

#[utoipa::path(get, path = "/api/v1/coach/conversations", tag = "coach",
    summary = "The caller's conversations with their message counts, tokens and cost",
    responses((status = 200, body = ConversationsJson)))]
pub async fn conversations(
    State(state): State<AppState>,
    ApiUser(identity): ApiUser,
) -> Result<Json<ConversationsJson>, AppError> {
    let rows = state
        .store
        .list_conversations(identity.user.id, 200)
        .await?;
    Ok(Json(ConversationsJson {
        conversations: rows.iter().map(ConversationSummaryJson::from).collect(),
    }))
}

/// A conversation with one page of its messages.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ConversationDetail)]
pub struct ConversationDetailJson {
    pub conversation: ConversationJson,
    /// One page, oldest first: the latest messages unless `before` was given.
    pub messages: Vec<MessageJson>,
    /// Whether messages older than this page exist.
    pub has_older: bool,
    /// Pass as `before` for the previous page (the page's first message id);
    /// null when there is none.
    pub older_before: Option<String>,
}

/// Messages per page when the client does not say.
const DEFAULT_MESSAGE_PAGE: u32 = 100;
const MAX_MESSAGE_PAGE: u32 = 500;

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ConversationQuery {
    /// A message id of this conversation: the page ends just before it.
    #[param(format = Uuid)]
    pub before: Option<String>,
    /// 1 to 500, default 100.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/coach/conversations/{id}", tag = "coach",
    summary = "A conversation with one page of its messages (oldest first; the latest page unless \
        `before` is given), their tool calls, citations, tokens and cost",
    params(crate::openapi::IdParam, ConversationQuery),
    responses(
        (status = 200, body = ConversationDetailJson),
        (status = 400, description = "`before` or `limit` is not valid (`invalid_query`)", body = crate::error::Body),
        (status = 404, description = "No such conversation of the caller's", body = crate::error::Body),
    ))]
pub async fn conversation(
    State(state): State<AppState>,
    ApiUser(identity): ApiUser,
    Owned(conversation): Owned<Conversation>,
    query: Result<Query<ConversationQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<ConversationDetailJson>, AppError> {
    let Query(query) = query.map_err(|e| AppError::bad_request("invalid_query", e.body_text()))?;
    let limit = query.limit.unwrap_or(DEFAULT_MESSAGE_PAGE);
    if !(1..=MAX_MESSAGE_PAGE).contains(&limit) {
        return Err(AppError::bad_request(
            "invalid_query",
            format!("limit must be 1 to {MAX_MESSAGE_PAGE}."),
        ));
    }
    let before: Option<MessageId> =
        match &query.before {
            Some(raw) => Some(raw.parse().map_err(|_| {
                AppError::bad_request("invalid_query", "before is not a message id.")
            })?),
            None => None,
        };
    let page = state
        .store
        .messages_page(identity.user.id, conversation.id, before, limit)
        .await?;
    let older_before = page
        .messages
        .first()
        .filter(|_| page.has_older)
        .map(|m| m.id.to_string());
    Ok(Json(ConversationDetailJson {
        conversation: ConversationJson::from(&conversation),
        messages: page.messages.iter().map(MessageJson::from).collect(),
        has_older: page.has_older,
        older_before,
    }))
}

#[utoipa::path(delete, path = "/api/v1/coach/conversations/{id}", tag = "coach",
    summary = "Delete a conversation (its usage records are kept)",
    params(crate::openapi::IdParam),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such conversation of the caller's", body = crate::error::Body),
    ))]
pub async fn delete_conversation(
    State(state): State<AppState>,
    ApiWrite(identity): ApiWrite,
    Owned(conversation): Owned<Conversation>,
) -> Result<StatusCode, AppError> {
    state
        .store
        .delete_conversation(identity.user.id, conversation.id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- notes ----

/// A note as written: trimmed, 1 to [`MAX_NOTE_CHARS`] characters (what the
/// coach's `save_note` tool allows too).
pub fn parse_note(raw: &str) -> Result<String, AppError> {
    let text = raw.trim();
    if text.is_empty() || text.chars().count() > MAX_NOTE_CHARS {
        return Err(AppError::bad_request(
            "invalid_note",
            format!("A note needs 1 to {MAX_NOTE_CHARS} characters."),
        ));
    }
    Ok(text.to_owned())
}

/// The caller's notes.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Notes)]
pub struct NotesJson {
    pub notes: Vec<NoteJson>,
}

#[utoipa::path(get, path = "/api/v1/coach/notes", tag = "coach",
    summary = "The caller's notes (the coach reads them)",
    responses((status = 200, body = NotesJson)))]
pub async fn notes(
    State(state): State<AppState>,
    ApiUser(identity): ApiUser,
) -> Result<Json<NotesJson>, AppError> {
    let notes = state.store.list_notes(identity.user.id).await?;
    Ok(Json(NotesJson {
        notes: notes.iter().map(NoteJson::from).collect(),
    }))
}

#[utoipa::path(post, path = "/api/v1/coach/notes", tag = "coach", summary = "Write a note",
    request_body = NoteTextJson,
    responses(
        (status = 201, body = NoteJson),
        (status = 400, description = "The body or the text is not valid", body = crate::error::Body),
    ))]
pub async fn create_note(
    State(state): State<AppState>,
    ApiWrite(identity): ApiWrite,
    body: Result<Json<NoteTextJson>, JsonRejection>,
) -> Result<(StatusCode, Json<NoteJson>), AppError> {
    let text = parse_note(&json_body(body)?.text)?;
    let note = state
        .store
        .create_note(identity.user.id, &text, NoteAuthor::User, state.clock.now())
        .await?;
    Ok((StatusCode::CREATED, Json(NoteJson::from(&note))))
}

#[utoipa::path(patch, path = "/api/v1/coach/notes/{id}", tag = "coach", summary = "Rewrite a note",
    params(crate::openapi::IdParam),
    request_body = NoteTextJson,
    responses(
        (status = 200, body = NoteJson),
        (status = 400, description = "The body or the text is not valid", body = crate::error::Body),
        (status = 404, description = "No such note of the caller's", body = crate::error::Body),
    ))]
pub async fn update_note(
    State(state): State<AppState>,
    ApiWrite(identity): ApiWrite,
    Path(id): Path<String>,
    body: Result<Json<NoteTextJson>, JsonRejection>,
) -> Result<Json<NoteJson>, AppError> {
    let id: NoteId = parse_id(&id)?;
    let text = parse_note(&json_body(body)?.text)?;
    let note = state
        .store
        .update_note(identity.user.id, id, &text, state.clock.now())
        .await?;
    Ok(Json(NoteJson::from(&note)))
}

#[utoipa::path(delete, path = "/api/v1/coach/notes/{id}", tag = "coach", summary = "Delete a note",
    params(crate::openapi::IdParam),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such note of the caller's", body = crate::error::Body),
    ))]
pub async fn delete_note(
    State(state): State<AppState>,
    ApiWrite(identity): ApiWrite,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    let id: NoteId = parse_id(&id)?;
    state.store.delete_note(identity.user.id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- profiles ----

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Profile)]
pub struct ProfileJson {
    pub id: String,
    pub name: String,
    pub version: String,
    pub description: String,
    pub accepts_images: bool,
}

/// The coach profiles and the model that answers.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Profiles)]
pub struct ProfilesJson {
    pub default: String,
    pub profiles: Vec<ProfileJson>,
    /// Which model answers, and whether it reads images.
    pub provider: String,
    pub model: String,
    pub vision: bool,
}

#[utoipa::path(get, path = "/api/v1/coach/profiles", tag = "coach",
    summary = "The coach profiles, the default one, and the model that answers",
    responses((status = 200, body = ProfilesJson)))]
pub async fn profiles(
    State(state): State<AppState>,
    ApiUser(_identity): ApiUser,
) -> Json<ProfilesJson> {
    let coach = &state.coach;
    Json(ProfilesJson {
        default: coach.profiles.default_profile().id.clone(),
        profiles: coach
            .profiles
            .list()
            .iter()
            .map(|p| ProfileJson {
                id: p.id.clone(),
                name: p.name.clone(),
                version: p.version.clone(),
                description: p.description.clone(),
                accepts_images: p.accepts_images,
            })
            .collect(),
        provider: coach.binding.name.clone(),
        model: coach.binding.model.clone(),
        vision: coach.reads_images(),
    })
}

// ---- usage ----

/// The caller's plan, budget and this month's use.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = UsageCurrent)]
pub struct UsageCurrentJson {
    pub plan: String,
    pub budget: limits::BudgetState,
    pub limits: crate::config::PlanConfig,
    /// This month's calls.
    pub month: UsageTotalsJson,
}

#[utoipa::path(get, path = "/api/v1/usage/current", tag = "coach",
    summary = "The caller's plan, budget and this month's model calls",
    responses((status = 200, body = UsageCurrentJson)))]
pub async fn usage_current(
    State(state): State<AppState>,
    ApiUser(identity): ApiUser,
) -> Result<Json<UsageCurrentJson>, AppError> {
    let user = identity.user.id;
    let (plan_name, plan) = user_plan(&state, user).await?;
    let budget = limits::budget_state(&state, user, &plan).await?;
    let now = state.clock.now();
    let totals = state
        .store
        .usage_totals(user, period_start(now), limits::period_end(now))
        .await?;
    Ok(Json(UsageCurrentJson {
        plan: plan_name,
        budget,
        limits: plan,
        month: UsageTotalsJson::from(&totals),
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UsageHistoryQuery {
    /// 1 to 500, default 100.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// Only records before this Unix time (for paging): years -9999 to 9999.
    #[param(minimum = -377_705_116_800_i64, maximum = 253_402_300_799_i64)]
    pub before: Option<i64>,
}

/// The caller's model calls, newest first.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = UsageHistory)]
pub struct UsageHistoryJson {
    pub records: Vec<UsageRecordJson>,
}

#[utoipa::path(get, path = "/api/v1/usage/history", tag = "coach",
    summary = "The caller's model calls, newest first",
    params(UsageHistoryQuery),
    responses(
        (status = 200, body = UsageHistoryJson),
        (status = 400, description = "`limit` or `before` is not valid (`invalid_query`)", body = crate::error::Body),
    ))]
pub async fn usage_history(
    State(state): State<AppState>,
    ApiUser(identity): ApiUser,
    query: Result<Query<UsageHistoryQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<UsageHistoryJson>, AppError> {
    let Query(query) = query.map_err(|e| AppError::bad_request("invalid_query", e.body_text()))?;
    let limit = query.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(AppError::bad_request(
            "invalid_query",
            "limit must be 1 to 500.",
        ));
    }
    let before =
        match query.before {
            Some(t) => Some(time::OffsetDateTime::from_unix_timestamp(t).map_err(|_| {
                AppError::bad_request("invalid_query", "before is not a valid time.")
            })?),
            None => None,
        };
    let records = state
        .store
        .usage_history(identity.user.id, limit, before)
        .await?;
    Ok(Json(UsageHistoryJson {
        records: records.iter().map(UsageRecordJson::from).collect(),
    }))
}
