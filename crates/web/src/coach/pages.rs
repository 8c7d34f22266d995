//! The coach's pages: `/coach` (conversations, the chat that streams its
//! answers through `static/coach.js`, and the notes) and `/usage`.

use std::collections::{HashMap, HashSet};

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use filmroom_coach::{extract_citations, format_clock};
use filmroom_store::{
    Conversation, ConversationId, ConversationSummary, MessageId, MessageRole, NoteAuthor, NoteId,
    StoredMessage,
};
use serde::Deserialize;

use super::api::{parse_note, user_plan};
use super::dto::moment_url;
use super::limits::{self, period_start};
use crate::accounts::csrf::{CsrfField, SignedForm};
use crate::app::AppState;
use crate::auth::PageUser;
use crate::owned::{OwnedPage, parse_id};
use crate::pages::{PageResult, fmt_time, html, nav};
use crate::views::Nav;

/// Money for people: dollars with four decimals (costs are often fractions of a cent).
pub fn fmt_cost(micros: u64) -> String {
    format!("${}.{:04}", micros / 1_000_000, (micros % 1_000_000) / 100)
}

pub struct ConversationRow {
    pub id: String,
    pub title: String,
    pub profile: String,
    pub messages: u64,
    pub tokens: u64,
    pub cost: String,
    pub active: bool,
}

impl ConversationRow {
    fn new(s: &ConversationSummary, active: bool) -> Self {
        Self {
            id: s.conversation.id.to_string(),
            title: s.conversation.title.clone(),
            profile: s.conversation.profile.clone(),
            messages: s.message_count,
            tokens: s.total_tokens,
            cost: fmt_cost(s.cost_micros),
            active,
        }
    }
}

pub struct Segment {
    pub text: String,
    pub url: Option<String>,
}

pub struct ToolChip {
    pub label: String,
    pub is_error: bool,
}

pub struct MessageView {
    pub id: String,
    pub role: &'static str,
    pub segments: Vec<Segment>,
    pub tools: Vec<ToolChip>,
    pub attachments: String,
    pub footer: String,
}

pub struct ProfileOption {
    pub id: String,
    pub name: String,
    pub accepts_images: bool,
    pub selected: bool,
}

pub struct NoteRow {
    pub id: String,
    pub text: String,
    pub author: &'static str,
    pub updated: String,
}

#[derive(Template)]
#[template(path = "coach.html")]
pub struct CoachPage {
    pub title: &'static str,
    pub nav: Option<Nav>,
    pub csrf: String,
    pub heading: String,
    pub model: String,
    pub warning: Option<String>,
    pub conversations: Vec<ConversationRow>,
    /// Empty for a new conversation.
    pub conversation_id: String,
    pub messages: Vec<MessageView>,
    /// The link to the page of older messages, when there are some.
    pub older: Option<String>,
    pub profiles: Vec<ProfileOption>,
    pub accepts_images: bool,
    pub notes: Vec<NoteRow>,
    /// Where the note forms return to.
    pub back: String,
}

/// Splits an answer into text and links at its citations `[rec:ID@m:ss]`
/// (and the `[game:ID@m:ss]` of answers stored before them), parsed as the
/// coach writes them; only citations the store kept with the message (the
/// user's own recordings) become links to the recording at that moment.
pub fn segments(message: &CitedText) -> Vec<Segment> {
    let links: Vec<(String, Segment)> = extract_citations(&message.text)
        .into_iter()
        .filter(|c| message.cited.contains(&c.game_id))
        .map(|c| {
            let link = Segment {
                text: format_clock(c.at_seconds),
                url: Some(moment_url(&c.game_id, c.at_seconds)),
            };
            (c.label, link)
        })
        .collect();
    let mut out = Vec::new();
    let mut rest = message.text.as_str();
    // The earliest remaining citation each time: a citation may appear twice.
    while let Some((at, label, link)) = links
        .iter()
        .filter_map(|(label, link)| rest.find(label.as_str()).map(|at| (at, label, link)))
        .min_by_key(|(at, _, _)| *at)
    {
        out.push(Segment {
            text: rest[..at].to_owned(),
            url: None,
        });
        out.push(Segment {
            text: link.text.clone(),
            url: link.url.clone(),
        });
        rest = &rest[at + label.len()..];
    }
    out.push(Segment {
        text: rest.to_owned(),
        url: None,
    });
    out
}

/// An answer's text and the games its stored citations point at.
pub struct CitedText {
    pub text: String,
    pub cited: HashSet<String>,
}

impl From<&StoredMessage> for CitedText {
    fn from(m: &StoredMessage) -> Self {
        Self {
            text: m.text.clone(),
            cited: m
                .citations
                .iter()
                .map(|c| c.recording.to_string())
                .collect(),
        }
    }
}

fn message_view(m: &StoredMessage) -> MessageView {
    let tools = serde_json::from_str::<Vec<serde_json::Value>>(&m.tool_calls_json)
        .unwrap_or_default()
        .iter()
        .map(|t| ToolChip {
            label: t["name"].as_str().unwrap_or("tool").to_owned(),
            is_error: t["is_error"].as_bool().unwrap_or(false),
        })
        .collect();
    let attachments =
        serde_json::from_str::<Vec<serde_json::Value>>(&m.attachments_json).unwrap_or_default();
    let footer = match m.role {
        MessageRole::User => String::new(),
        MessageRole::Assistant => {
            let tokens =
                m.input_tokens + m.output_tokens + m.cache_read_tokens + m.cache_write_tokens;
            let mut parts = vec![format!("{tokens} tokens"), fmt_cost(m.cost_micros)];
            if let Some(stop) = m
                .stop_reason
                .as_deref()
                .filter(|s| s.starts_with("error:") || *s == "max_tokens")
            {
                parts.push(format!("ended: {stop}"));
            }
            parts.join(" · ")
        }
    };
    MessageView {
        id: m.id.to_string(),
        role: match m.role {
            MessageRole::User => "user",
            MessageRole::Assistant => "assistant",
        },
        segments: segments(&CitedText::from(m)),
        tools,
        attachments: if attachments.is_empty() {
            String::new()
        } else {
            format!("{} image(s) attached", attachments.len())
        },
        footer,
    }
}

/// Messages a conversation page shows at once: the latest, with a link to
/// the ones before.
const PAGE_MESSAGES: u32 = 50;

pub async fn coach_page(state: State<AppState>, user: PageUser) -> PageResult {
    render_coach(state, user, None, None).await
}

#[derive(Deserialize)]
pub struct ConversationPageQuery {
    /// Show the messages before this one (a message id).
    pub before: Option<String>,
}

pub async fn conversation_page(
    state: State<AppState>,
    user: PageUser,
    OwnedPage(conversation): OwnedPage<Conversation>,
    Query(query): Query<ConversationPageQuery>,
) -> PageResult {
    let before: Option<MessageId> = query.before.as_deref().map(parse_id).transpose()?;
    render_coach(state, user, Some(conversation), before).await
}

async fn render_coach(
    State(state): State<AppState>,
    PageUser(identity): PageUser,
    selected: Option<Conversation>,
    before: Option<MessageId>,
) -> PageResult {
    let user = identity.user.id;
    let coach = &state.coach;
    let selected_id = selected.as_ref().map(|c| c.id);
    let (conversation, messages, older) = match selected {
        Some(conversation) => {
            let id = conversation.id;
            let page = state
                .store
                .messages_page(user, id, before, PAGE_MESSAGES)
                .await?;
            let older = page
                .messages
                .first()
                .filter(|_| page.has_older)
                .map(|m| format!("/coach/{id}?before={}", m.id));
            (Some(conversation), page.messages, older)
        }
        None => (None, Vec::new(), None),
    };
    let profile = match &conversation {
        Some(c) => coach.profiles.get(&c.profile),
        None => Some(coach.profiles.default_profile()),
    };
    let (_, plan) = user_plan(&state, user).await?;
    let budget = limits::budget_state(&state, user, &plan).await?;
    let conversations = state.store.list_conversations(user, 100).await?;
    let notes = state.store.list_notes(user).await?;
    let page = CoachPage {
        title: "Coach",
        nav: nav(&identity),
        csrf: identity.csrf_token().to_owned(),
        heading: conversation
            .as_ref()
            .map(|c| c.title.clone())
            .unwrap_or_else(|| "Ask your coach".to_owned()),
        model: coach.binding.model.clone(),
        warning: budget.warning.then(|| {
            format!(
                "You have used {}% of this month's {} tokens.",
                budget.percent_used, budget.limit_tokens
            )
        }),
        conversations: conversations
            .iter()
            .map(|s| ConversationRow::new(s, Some(s.conversation.id) == selected_id))
            .collect(),
        conversation_id: selected_id.map(|id| id.to_string()).unwrap_or_default(),
        messages: messages.iter().map(message_view).collect(),
        older,
        profiles: coach
            .profiles
            .list()
            .iter()
            .map(|p| ProfileOption {
                id: p.id.clone(),
                name: p.name.clone(),
                accepts_images: p.accepts_images,
                selected: profile.as_ref().is_some_and(|sel| sel.id == p.id),
            })
            .collect(),
        accepts_images: coach.reads_images()
            && coach.profiles.list().iter().any(|p| p.accepts_images)
            && profile
                .as_ref()
                .is_none_or(|p| p.accepts_images || conversation.is_none()),
        notes: notes
            .iter()
            .map(|n| NoteRow {
                id: n.id.to_string(),
                text: n.text.clone(),
                author: match n.author {
                    NoteAuthor::User => "you",
                    NoteAuthor::Coach => "coach",
                },
                updated: fmt_time(n.updated_at),
            })
            .collect(),
        back: selected_id
            .map(|id| format!("/coach/{id}"))
            .unwrap_or_else(|| "/coach".to_owned()),
    };
    Ok(html(&page)?.into_response())
}

#[derive(Deserialize)]
pub struct NoteForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub back: String,
}

impl CsrfField for NoteForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// Only the coach's own pages are places to return to.
fn back_to(raw: &str) -> Redirect {
    let safe = raw == "/coach"
        || raw
            .strip_prefix("/coach/")
            .is_some_and(|id| id.parse::<ConversationId>().is_ok());
    Redirect::to(if safe { raw } else { "/coach" })
}

pub async fn create_note_form(
    State(state): State<AppState>,
    SignedForm { identity, form: f }: SignedForm<NoteForm>,
) -> PageResult {
    let text = parse_note(&f.text)?;
    state
        .store
        .create_note(identity.user.id, &text, NoteAuthor::User, state.clock.now())
        .await?;
    Ok(back_to(&f.back).into_response())
}

pub async fn update_note_form(
    State(state): State<AppState>,
    Path(id): Path<String>,
    SignedForm { identity, form: f }: SignedForm<NoteForm>,
) -> PageResult {
    let id: NoteId = parse_id(&id)?;
    let text = parse_note(&f.text)?;
    state
        .store
        .update_note(identity.user.id, id, &text, state.clock.now())
        .await?;
    Ok(back_to(&f.back).into_response())
}

pub async fn delete_note_form(
    State(state): State<AppState>,
    Path(id): Path<String>,
    SignedForm { identity, form: f }: SignedForm<NoteForm>,
) -> PageResult {
    let id: NoteId = parse_id(&id)?;
    state.store.delete_note(identity.user.id, id).await?;
    Ok(back_to(&f.back).into_response())
}

pub struct UsageRow {
    pub time: String,
    pub conversation_id: Option<String>,
    pub conversation: String,
    pub model: String,
    pub input: u64,
    pub output: u64,
    pub cache_read: u64,
    pub cache_write: u64,
    pub latency: u64,
    pub cost: String,
    pub outcome: &'static str,
}

#[derive(Template)]
#[template(path = "usage.html")]
pub struct UsagePage {
    pub title: &'static str,
    pub nav: Option<Nav>,
    pub plan: String,
    pub limits: String,
    pub period: String,
    pub used: u64,
    pub limit: u64,
    pub percent: u64,
    pub warning: bool,
    pub resets: String,
    pub calls: u64,
    pub month_cost: String,
    pub conversations: Vec<ConversationRow>,
    pub records: Vec<UsageRow>,
}

pub async fn usage_page(State(state): State<AppState>, PageUser(identity): PageUser) -> PageResult {
    let user = identity.user.id;
    let (plan_name, plan) = user_plan(&state, user).await?;
    let budget = limits::budget_state(&state, user, &plan).await?;
    let now = state.clock.now();
    let totals = state
        .store
        .usage_totals(user, period_start(now), limits::period_end(now))
        .await?;
    let conversations = state.store.list_conversations(user, 200).await?;
    let titles: HashMap<ConversationId, String> = conversations
        .iter()
        .map(|s| (s.conversation.id, s.conversation.title.clone()))
        .collect();
    let records = state.store.usage_history(user, 200, None).await?;
    let page = UsagePage {
        title: "Usage",
        nav: nav(&identity),
        plan: plan_name,
        limits: format!(
            "{} tokens a month, {} messages a day, {} requests a minute, {} an hour",
            plan.monthly_tokens,
            plan.messages_per_day,
            plan.requests_per_minute,
            plan.requests_per_hour
        ),
        period: budget.period.clone(),
        used: budget.spent_tokens.saturating_add(budget.reserved_tokens),
        limit: budget.limit_tokens,
        percent: budget.percent_used.min(100),
        warning: budget.warning,
        resets: time::OffsetDateTime::from_unix_timestamp(budget.resets_at)
            .map(fmt_time)
            .unwrap_or_default(),
        calls: totals.calls,
        month_cost: fmt_cost(totals.cost_micros),
        conversations: conversations
            .iter()
            .map(|s| ConversationRow::new(s, false))
            .collect(),
        records: records
            .iter()
            .map(|r| UsageRow {
                time: fmt_time(r.created_at),
                conversation_id: r.conversation.map(|c| c.to_string()),
                conversation: r
                    .conversation
                    .and_then(|c| titles.get(&c).cloned())
                    .unwrap_or_else(|| "(deleted)".to_owned()),
                model: format!("{} {}", r.provider, r.model),
                input: r.input_tokens,
                output: r.output_tokens,
                cache_read: r.cache_read_tokens,
                cache_write: r.cache_write_tokens,
                latency: r.latency_ms,
                cost: fmt_cost(r.cost_micros),
                outcome: r.outcome.as_str(),
            })
            .collect(),
    };
    Ok(html(&page)?.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_stored_citations_become_links_and_a_repeated_one_links_each_time() {
        let mine = "3f2a9c00-0000-4000-8000-000000000001";
        let other = "3f2a9c00-0000-4000-8000-000000000002";
        let text = CitedText {
            text: format!("A [game:{mine}@4:07] B [game:{other}@0:10] C [game:{mine}@4:07]"),
            cited: HashSet::from([mine.to_owned()]),
        };
        let parts: Vec<(String, Option<String>)> = segments(&text)
            .into_iter()
            .map(|s| (s.text, s.url))
            .collect();
        let link = Some(format!("/games/{mine}?tab=timeline&t=247"));
        assert_eq!(
            parts,
            vec![
                ("A ".to_owned(), None),
                ("4:07".to_owned(), link.clone()),
                (format!(" B [game:{other}@0:10] C "), None),
                ("4:07".to_owned(), link),
                (String::new(), None),
            ]
        );
    }

    #[test]
    fn new_rec_citations_and_old_game_citations_link_alike() {
        let mine = "3f2a9c00-0000-4000-8000-000000000001";
        let text = CitedText {
            text: format!("Old [game:{mine}@0:05], new [rec:{mine}@1:05]."),
            cited: HashSet::from([mine.to_owned()]),
        };
        let parts: Vec<(String, Option<String>)> = segments(&text)
            .into_iter()
            .map(|s| (s.text, s.url))
            .collect();
        assert_eq!(
            parts,
            vec![
                ("Old ".to_owned(), None),
                (
                    "0:05".to_owned(),
                    Some(format!("/games/{mine}?tab=timeline&t=5"))
                ),
                (", new ".to_owned(), None),
                (
                    "1:05".to_owned(),
                    Some(format!("/games/{mine}?tab=timeline&t=65"))
                ),
                (".".to_owned(), None),
            ]
        );
    }
}
