//! The coach's tables on PostgreSQL: conversations, messages and citations,
//! notes, usage records, the budget ledger and rate-limit events.
//!
//! Under READ COMMITTED, what the SQLite backend gets from its single writer
//! comes from row locks and advisory locks here: a budget reservation is one
//! conditional UPDATE of the period's row (PostgreSQL re-checks the condition
//! on the row a concurrent reserver just committed), and racing rate-limit
//! admissions of one user and kind serialise on an advisory lock.

use std::collections::HashMap;

use sqlx::postgres::{PgPool, PgRow};
use sqlx::{Postgres, Row, Transaction};
use time::OffsetDateTime;

use super::{from_ts, parse_id, to_i64, to_u64, ts};
use crate::error::StoreError;
use crate::model::{
    BudgetReservation, BudgetSettlement, BudgetStatus, Citation, Conversation, ConversationSummary,
    MessagePage, NewConversation, NewMessage, NewUsageRecord, Note, RateAdmission, RateWindow,
    StoredMessage, UsageRecord, UsageTotals, WindowState,
};
use crate::types::{
    BudgetReservationId, ConversationId, MessageId, MessageRole, NoteAuthor, NoteId, UsageOutcome,
    UsageRecordId, UserId,
};

/// Maps a foreign-key failure to `NotFound { entity }`: the row it points at
/// (usually the user) does not exist.
fn missing(entity: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |e| match &e {
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
            StoreError::NotFound { entity }
        }
        _ => StoreError::Database(e),
    }
}

fn not_found(entity: &'static str) -> StoreError {
    StoreError::NotFound { entity }
}

fn get_u64(row: &PgRow, column: &str) -> Result<u64, StoreError> {
    to_u64(row.try_get(column)?, column)
}

// ---- conversations and messages ----

const CONVERSATION_COLS: &str = "id, owner_id, title, profile, created_at, updated_at";

fn conversation_from_row(row: &PgRow) -> Result<Conversation, StoreError> {
    Ok(Conversation {
        id: parse_id(&row.try_get::<String, _>("id")?, "conversation id")?,
        owner: parse_id(&row.try_get::<String, _>("owner_id")?, "user id")?,
        title: row.try_get("title")?,
        profile: row.try_get("profile")?,
        created_at: from_ts(row.try_get("created_at")?)?,
        updated_at: from_ts(row.try_get("updated_at")?)?,
    })
}

pub(super) async fn create_conversation(
    pool: &PgPool,
    new: &NewConversation,
    now: OffsetDateTime,
) -> Result<Conversation, StoreError> {
    let row = sqlx::query(&format!(
        "INSERT INTO conversations ({CONVERSATION_COLS}) VALUES ($1, $2, $3, $4, $5, $5)
         RETURNING {CONVERSATION_COLS}"
    ))
    .bind(ConversationId::new().to_string())
    .bind(new.owner.to_string())
    .bind(&new.title)
    .bind(&new.profile)
    .bind(ts(now))
    .fetch_one(pool)
    .await
    .map_err(missing("user"))?;
    conversation_from_row(&row)
}

pub(super) async fn list_conversations(
    pool: &PgPool,
    owner: UserId,
    limit: u32,
) -> Result<Vec<ConversationSummary>, StoreError> {
    // Page first, then add up only the page's messages.
    let rows = sqlx::query(
        "WITH page AS (
            SELECT id, owner_id, title, profile, created_at, updated_at, seq
            FROM conversations WHERE owner_id = $1
            ORDER BY updated_at DESC, seq DESC LIMIT $2)
         SELECT page.id, page.owner_id, page.title, page.profile, page.created_at,
            page.updated_at,
            COUNT(m.id) AS message_count,
            COALESCE(SUM(m.input_tokens + m.output_tokens
                + m.cache_read_tokens + m.cache_write_tokens), 0)::BIGINT AS total_tokens,
            COALESCE(SUM(m.cost_micros), 0)::BIGINT AS cost_micros
         FROM page LEFT JOIN messages m ON m.conversation_id = page.id
         GROUP BY page.id, page.owner_id, page.title, page.profile, page.created_at,
            page.updated_at, page.seq
         ORDER BY page.updated_at DESC, page.seq DESC",
    )
    .bind(owner.to_string())
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(ConversationSummary {
                conversation: conversation_from_row(row)?,
                message_count: get_u64(row, "message_count")?,
                total_tokens: get_u64(row, "total_tokens")?,
                cost_micros: get_u64(row, "cost_micros")?,
            })
        })
        .collect()
}

pub(super) async fn conversation_for_owner(
    pool: &PgPool,
    owner: UserId,
    id: ConversationId,
) -> Result<Option<Conversation>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {CONVERSATION_COLS} FROM conversations WHERE id = $1 AND owner_id = $2"
    ))
    .bind(id.to_string())
    .bind(owner.to_string())
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(conversation_from_row).transpose()
}

pub(super) async fn delete_conversation(
    pool: &PgPool,
    owner: UserId,
    id: ConversationId,
) -> Result<(), StoreError> {
    // Messages and citations go by cascade; usage records keep their row.
    let done = sqlx::query("DELETE FROM conversations WHERE id = $1 AND owner_id = $2")
        .bind(id.to_string())
        .bind(owner.to_string())
        .execute(pool)
        .await?;
    if done.rows_affected() == 0 {
        return Err(not_found("conversation"));
    }
    Ok(())
}

pub(super) async fn append_message(
    pool: &PgPool,
    owner: UserId,
    m: &NewMessage,
    now: OffsetDateTime,
) -> Result<StoredMessage, StoreError> {
    let mut tx = pool.begin().await?;
    // The ownership check is an UPDATE: it locks the conversation's row, so
    // the conversation cannot be deleted under us.
    let bumped =
        sqlx::query("UPDATE conversations SET updated_at = $1 WHERE id = $2 AND owner_id = $3")
            .bind(ts(now))
            .bind(m.conversation.to_string())
            .bind(owner.to_string())
            .execute(&mut *tx)
            .await?;
    if bumped.rows_affected() == 0 {
        tx.rollback().await?;
        return Err(not_found("conversation"));
    }
    for citation in &m.citations {
        let owned: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM recording_owners WHERE user_id = $1 AND recording_id = $2)",
        )
        .bind(owner.to_string())
        .bind(citation.recording.to_string())
        .fetch_one(&mut *tx)
        .await?;
        if !owned {
            tx.rollback().await?;
            return Err(not_found("recording"));
        }
    }
    sqlx::query(
        "INSERT INTO messages (id, conversation_id, role, text, tool_calls_json,
            attachments_json, provider, model, stop_reason, input_tokens, output_tokens,
            cache_read_tokens, cache_write_tokens, cost_micros, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(m.id.to_string())
    .bind(m.conversation.to_string())
    .bind(m.role.as_str())
    .bind(&m.text)
    .bind(&m.tool_calls_json)
    .bind(&m.attachments_json)
    .bind(&m.provider)
    .bind(&m.model)
    .bind(&m.stop_reason)
    .bind(to_i64(m.input_tokens, "input tokens")?)
    .bind(to_i64(m.output_tokens, "output tokens")?)
    .bind(to_i64(m.cache_read_tokens, "cache read tokens")?)
    .bind(to_i64(m.cache_write_tokens, "cache write tokens")?)
    .bind(to_i64(m.cost_micros, "cost")?)
    .bind(ts(now))
    .execute(&mut *tx)
    .await
    .map_err(|e| {
        if super::is_unique_violation(&e) {
            StoreError::Conflict { what: "message" }
        } else {
            StoreError::Database(e)
        }
    })?;
    insert_citations(&mut tx, m).await?;
    tx.commit().await?;
    Ok(StoredMessage {
        id: m.id,
        conversation: m.conversation,
        role: m.role,
        text: m.text.clone(),
        tool_calls_json: m.tool_calls_json.clone(),
        attachments_json: m.attachments_json.clone(),
        citations: m.citations.clone(),
        provider: m.provider.clone(),
        model: m.model.clone(),
        stop_reason: m.stop_reason.clone(),
        input_tokens: m.input_tokens,
        output_tokens: m.output_tokens,
        cache_read_tokens: m.cache_read_tokens,
        cache_write_tokens: m.cache_write_tokens,
        cost_micros: m.cost_micros,
        created_at: from_ts(ts(now))?,
    })
}

async fn insert_citations(
    tx: &mut Transaction<'_, Postgres>,
    m: &NewMessage,
) -> Result<(), StoreError> {
    for (position, citation) in m.citations.iter().enumerate() {
        sqlx::query(
            "INSERT INTO message_citations (message_id, position, recording_id, at_seconds, label)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(m.id.to_string())
        .bind(to_i64(position as u64, "citation position")?)
        .bind(citation.recording.to_string())
        .bind(citation.at_seconds)
        .bind(&citation.label)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

pub(super) async fn messages(
    pool: &PgPool,
    owner: UserId,
    conversation: ConversationId,
) -> Result<Vec<StoredMessage>, StoreError> {
    // One snapshot: the messages and their citations as of one moment.
    let mut tx = super::read_snapshot(pool).await?;
    let owned: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM conversations WHERE id = $1 AND owner_id = $2)",
    )
    .bind(conversation.to_string())
    .bind(owner.to_string())
    .fetch_one(&mut *tx)
    .await?;
    if !owned {
        tx.rollback().await?;
        return Err(not_found("conversation"));
    }
    let citation_rows = sqlx::query(
        "SELECT c.message_id, c.recording_id, c.at_seconds, c.label
         FROM message_citations c JOIN messages m ON m.id = c.message_id
         WHERE m.conversation_id = $1
         ORDER BY c.message_id, c.position",
    )
    .bind(conversation.to_string())
    .fetch_all(&mut *tx)
    .await?;
    let mut citations: HashMap<String, Vec<Citation>> = HashMap::new();
    for row in &citation_rows {
        citations
            .entry(row.try_get("message_id")?)
            .or_default()
            .push(Citation {
                recording: parse_id(&row.try_get::<String, _>("recording_id")?, "recording id")?,
                at_seconds: row.try_get("at_seconds")?,
                label: row.try_get("label")?,
            });
    }
    let rows = sqlx::query(&format!(
        "SELECT {MESSAGE_COLS} FROM messages WHERE conversation_id = $1 ORDER BY created_at, seq"
    ))
    .bind(conversation.to_string())
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    rows.iter()
        .map(|row| message_from_row(row, &mut citations))
        .collect()
}

const MESSAGE_COLS: &str = "id, conversation_id, role, text, tool_calls_json, attachments_json, \
    provider, model, stop_reason, input_tokens, output_tokens, cache_read_tokens, \
    cache_write_tokens, cost_micros, created_at";

fn message_from_row(
    row: &PgRow,
    citations: &mut HashMap<String, Vec<Citation>>,
) -> Result<StoredMessage, StoreError> {
    let id: String = row.try_get("id")?;
    let role: String = row.try_get("role")?;
    Ok(StoredMessage {
        id: parse_id(&id, "message id")?,
        conversation: parse_id(
            &row.try_get::<String, _>("conversation_id")?,
            "conversation id",
        )?,
        role: MessageRole::parse(&role)
            .ok_or_else(|| StoreError::Corrupt(format!("message role {role:?}")))?,
        text: row.try_get("text")?,
        tool_calls_json: row.try_get("tool_calls_json")?,
        attachments_json: row.try_get("attachments_json")?,
        citations: citations.remove(&id).unwrap_or_default(),
        provider: row.try_get("provider")?,
        model: row.try_get("model")?,
        stop_reason: row.try_get("stop_reason")?,
        input_tokens: get_u64(row, "input_tokens")?,
        output_tokens: get_u64(row, "output_tokens")?,
        cache_read_tokens: get_u64(row, "cache_read_tokens")?,
        cache_write_tokens: get_u64(row, "cache_write_tokens")?,
        cost_micros: get_u64(row, "cost_micros")?,
        created_at: from_ts(row.try_get("created_at")?)?,
    })
}

pub(super) async fn messages_page(
    pool: &PgPool,
    owner: UserId,
    conversation: ConversationId,
    before: Option<MessageId>,
    limit: u32,
) -> Result<MessagePage, StoreError> {
    // One snapshot, as for `messages`.
    let mut tx = super::read_snapshot(pool).await?;
    let owned: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM conversations WHERE id = $1 AND owner_id = $2)",
    )
    .bind(conversation.to_string())
    .bind(owner.to_string())
    .fetch_one(&mut *tx)
    .await?;
    if !owned {
        tx.rollback().await?;
        return Err(not_found("conversation"));
    }
    // The cursor is the message's place in the conversation's order
    // (created_at, then seq), so a page boundary inside one second holds.
    let cursor: Option<(i64, i64)> = match before {
        None => None,
        Some(id) => {
            let place = sqlx::query_as::<_, (i64, i64)>(
                "SELECT created_at, seq FROM messages WHERE id = $1 AND conversation_id = $2",
            )
            .bind(id.to_string())
            .bind(conversation.to_string())
            .fetch_optional(&mut *tx)
            .await?;
            match place {
                Some(place) => Some(place),
                None => {
                    tx.rollback().await?;
                    return Err(not_found("message"));
                }
            }
        }
    };
    let (at, seq) = cursor.unwrap_or((i64::MAX, i64::MAX));
    // One more than asked: whether older messages exist, without a COUNT.
    let mut rows = sqlx::query(&format!(
        "SELECT {MESSAGE_COLS} FROM messages
         WHERE conversation_id = $1 AND (created_at < $2 OR (created_at = $2 AND seq < $3))
         ORDER BY created_at DESC, seq DESC LIMIT $4"
    ))
    .bind(conversation.to_string())
    .bind(at)
    .bind(seq)
    .bind(i64::from(limit).saturating_add(1))
    .fetch_all(&mut *tx)
    .await?;
    let has_older = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    rows.reverse();
    let mut citations: HashMap<String, Vec<Citation>> = HashMap::new();
    for row in &rows {
        let id: String = row.try_get("id")?;
        let cited = sqlx::query(
            "SELECT recording_id, at_seconds, label FROM message_citations
             WHERE message_id = $1 ORDER BY position",
        )
        .bind(&id)
        .fetch_all(&mut *tx)
        .await?;
        for c in &cited {
            citations.entry(id.clone()).or_default().push(Citation {
                recording: parse_id(&c.try_get::<String, _>("recording_id")?, "recording id")?,
                at_seconds: c.try_get("at_seconds")?,
                label: c.try_get("label")?,
            });
        }
    }
    tx.commit().await?;
    let messages = rows
        .iter()
        .map(|row| message_from_row(row, &mut citations))
        .collect::<Result<_, _>>()?;
    Ok(MessagePage {
        messages,
        has_older,
    })
}

// ---- notes ----

const NOTE_COLS: &str = "id, owner_id, text, author, created_at, updated_at";

fn note_from_row(row: &PgRow) -> Result<Note, StoreError> {
    let author: String = row.try_get("author")?;
    Ok(Note {
        id: parse_id(&row.try_get::<String, _>("id")?, "note id")?,
        owner: parse_id(&row.try_get::<String, _>("owner_id")?, "user id")?,
        text: row.try_get("text")?,
        author: NoteAuthor::parse(&author)
            .ok_or_else(|| StoreError::Corrupt(format!("note author {author:?}")))?,
        created_at: from_ts(row.try_get("created_at")?)?,
        updated_at: from_ts(row.try_get("updated_at")?)?,
    })
}

pub(super) async fn create_note(
    pool: &PgPool,
    owner: UserId,
    text: &str,
    author: NoteAuthor,
    now: OffsetDateTime,
) -> Result<Note, StoreError> {
    let row = sqlx::query(&format!(
        "INSERT INTO notes ({NOTE_COLS}) VALUES ($1, $2, $3, $4, $5, $5) RETURNING {NOTE_COLS}"
    ))
    .bind(NoteId::new().to_string())
    .bind(owner.to_string())
    .bind(text)
    .bind(author.as_str())
    .bind(ts(now))
    .fetch_one(pool)
    .await
    .map_err(missing("user"))?;
    note_from_row(&row)
}

pub(super) async fn list_notes(pool: &PgPool, owner: UserId) -> Result<Vec<Note>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {NOTE_COLS} FROM notes WHERE owner_id = $1 ORDER BY created_at DESC, seq DESC"
    ))
    .bind(owner.to_string())
    .fetch_all(pool)
    .await?;
    rows.iter().map(note_from_row).collect()
}

pub(super) async fn update_note(
    pool: &PgPool,
    owner: UserId,
    id: NoteId,
    text: &str,
    now: OffsetDateTime,
) -> Result<Note, StoreError> {
    let row = sqlx::query(&format!(
        "UPDATE notes SET text = $1, updated_at = $2 WHERE id = $3 AND owner_id = $4
         RETURNING {NOTE_COLS}"
    ))
    .bind(text)
    .bind(ts(now))
    .bind(id.to_string())
    .bind(owner.to_string())
    .fetch_optional(pool)
    .await?;
    row.as_ref()
        .map(note_from_row)
        .transpose()?
        .ok_or_else(|| not_found("note"))
}

pub(super) async fn delete_note(
    pool: &PgPool,
    owner: UserId,
    id: NoteId,
) -> Result<(), StoreError> {
    let done = sqlx::query("DELETE FROM notes WHERE id = $1 AND owner_id = $2")
        .bind(id.to_string())
        .bind(owner.to_string())
        .execute(pool)
        .await?;
    if done.rows_affected() == 0 {
        return Err(not_found("note"));
    }
    Ok(())
}

// ---- usage ----

const USAGE_COLS: &str = "id, user_id, conversation_id, message_id, provider, model, \
    input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, latency_ms, \
    cost_micros, outcome, error, created_at";

fn usage_from_row(row: &PgRow) -> Result<UsageRecord, StoreError> {
    let outcome: String = row.try_get("outcome")?;
    Ok(UsageRecord {
        id: parse_id(&row.try_get::<String, _>("id")?, "usage record id")?,
        user: parse_id(&row.try_get::<String, _>("user_id")?, "user id")?,
        conversation: row
            .try_get::<Option<String>, _>("conversation_id")?
            .map(|s| parse_id(&s, "conversation id"))
            .transpose()?,
        message: row
            .try_get::<Option<String>, _>("message_id")?
            .map(|s| parse_id(&s, "message id"))
            .transpose()?,
        provider: row.try_get("provider")?,
        model: row.try_get("model")?,
        input_tokens: get_u64(row, "input_tokens")?,
        output_tokens: get_u64(row, "output_tokens")?,
        cache_read_tokens: get_u64(row, "cache_read_tokens")?,
        cache_write_tokens: get_u64(row, "cache_write_tokens")?,
        latency_ms: get_u64(row, "latency_ms")?,
        cost_micros: get_u64(row, "cost_micros")?,
        outcome: UsageOutcome::parse(&outcome)
            .ok_or_else(|| StoreError::Corrupt(format!("usage outcome {outcome:?}")))?,
        error: row.try_get("error")?,
        created_at: from_ts(row.try_get("created_at")?)?,
    })
}

pub(super) async fn record_usage(
    pool: &PgPool,
    u: &NewUsageRecord,
    now: OffsetDateTime,
) -> Result<UsageRecord, StoreError> {
    // One statement: the conversation, when named, must be this user's.
    let row = sqlx::query(&format!(
        "INSERT INTO usage_records ({USAGE_COLS})
         SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15
         WHERE $3 IS NULL
            OR EXISTS (SELECT 1 FROM conversations WHERE id = $3 AND owner_id = $2)
         RETURNING {USAGE_COLS}"
    ))
    .bind(UsageRecordId::new().to_string())
    .bind(u.user.to_string())
    .bind(u.conversation.map(|c| c.to_string()))
    .bind(u.message.map(|m| m.to_string()))
    .bind(&u.provider)
    .bind(&u.model)
    .bind(to_i64(u.input_tokens, "input tokens")?)
    .bind(to_i64(u.output_tokens, "output tokens")?)
    .bind(to_i64(u.cache_read_tokens, "cache read tokens")?)
    .bind(to_i64(u.cache_write_tokens, "cache write tokens")?)
    .bind(to_i64(u.latency_ms, "latency")?)
    .bind(to_i64(u.cost_micros, "cost")?)
    .bind(u.outcome.as_str())
    .bind(&u.error)
    .bind(ts(now))
    .fetch_optional(pool)
    .await
    .map_err(missing("user"))?;
    row.as_ref()
        .map(usage_from_row)
        .transpose()?
        .ok_or_else(|| not_found("conversation"))
}

pub(super) async fn usage_totals(
    pool: &PgPool,
    user: UserId,
    from: OffsetDateTime,
    until: OffsetDateTime,
) -> Result<UsageTotals, StoreError> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS calls,
            COALESCE(SUM(input_tokens), 0)::BIGINT AS input_tokens,
            COALESCE(SUM(output_tokens), 0)::BIGINT AS output_tokens,
            COALESCE(SUM(cache_read_tokens), 0)::BIGINT AS cache_read_tokens,
            COALESCE(SUM(cache_write_tokens), 0)::BIGINT AS cache_write_tokens,
            COALESCE(SUM(cost_micros), 0)::BIGINT AS cost_micros
         FROM usage_records WHERE user_id = $1 AND created_at >= $2 AND created_at < $3",
    )
    .bind(user.to_string())
    .bind(ts(from))
    .bind(ts(until))
    .fetch_one(pool)
    .await?;
    Ok(UsageTotals {
        calls: get_u64(&row, "calls")?,
        input_tokens: get_u64(&row, "input_tokens")?,
        output_tokens: get_u64(&row, "output_tokens")?,
        cache_read_tokens: get_u64(&row, "cache_read_tokens")?,
        cache_write_tokens: get_u64(&row, "cache_write_tokens")?,
        cost_micros: get_u64(&row, "cost_micros")?,
    })
}

pub(super) async fn usage_history(
    pool: &PgPool,
    user: UserId,
    limit: u32,
    before: Option<OffsetDateTime>,
) -> Result<Vec<UsageRecord>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {USAGE_COLS} FROM usage_records
         WHERE user_id = $1 AND created_at < $2
         ORDER BY created_at DESC, seq DESC LIMIT $3"
    ))
    .bind(user.to_string())
    .bind(before.map(ts).unwrap_or(i64::MAX))
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?;
    rows.iter().map(usage_from_row).collect()
}

// ---- budget ledger ----

pub(super) async fn reserve_budget(
    pool: &PgPool,
    user: UserId,
    period: &str,
    limit: u64,
    amount: u64,
    node: Option<&str>,
    now: OffsetDateTime,
) -> Result<BudgetReservation, StoreError> {
    let (limit_i, amount_i) = (to_i64(limit, "budget limit")?, to_i64(amount, "amount")?);
    let mut tx = pool.begin().await?;
    // The period's row must exist for the conditional UPDATE to lock it.
    sqlx::query(
        "INSERT INTO budget_periods (user_id, period, spent, reserved, updated_at)
         VALUES ($1, $2, 0, 0, $3)
         ON CONFLICT (user_id, period) DO NOTHING",
    )
    .bind(user.to_string())
    .bind(period)
    .bind(ts(now))
    .execute(&mut *tx)
    .await
    .map_err(missing("user"))?;
    // The check and the increment are one statement: never two callers
    // fitting into the same headroom.
    let held = sqlx::query(
        "UPDATE budget_periods SET reserved = reserved + $1, updated_at = $2
         WHERE user_id = $3 AND period = $4 AND spent + reserved + $1 <= $5",
    )
    .bind(amount_i)
    .bind(ts(now))
    .bind(user.to_string())
    .bind(period)
    .bind(limit_i)
    .execute(&mut *tx)
    .await?;
    if held.rows_affected() == 0 {
        let status = read_status(&mut *tx, user, period).await?;
        tx.rollback().await?;
        return Err(StoreError::BudgetExceeded {
            requested: amount,
            available: limit.saturating_sub(status.spent.saturating_add(status.reserved)),
        });
    }
    let id = BudgetReservationId::new();
    sqlx::query(
        "INSERT INTO budget_reservations (id, user_id, period, amount, created_at, node)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id.to_string())
    .bind(user.to_string())
    .bind(period)
    .bind(amount_i)
    .bind(ts(now))
    .bind(node)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(BudgetReservation {
        id,
        user,
        period: period.to_owned(),
        amount,
    })
}

async fn read_status(
    executor: impl sqlx::PgExecutor<'_>,
    user: UserId,
    period: &str,
) -> Result<BudgetStatus, StoreError> {
    let row = sqlx::query(
        "SELECT spent, reserved, overrun FROM budget_periods WHERE user_id = $1 AND period = $2",
    )
    .bind(user.to_string())
    .bind(period)
    .fetch_optional(executor)
    .await?;
    match row {
        Some(row) => Ok(BudgetStatus {
            spent: get_u64(&row, "spent")?,
            reserved: get_u64(&row, "reserved")?,
            overrun: get_u64(&row, "overrun")?,
        }),
        None => Ok(BudgetStatus::default()),
    }
}

/// Moves one settled reservation from `reserved` to `spent`: `actual` of it
/// but never more than was held; the rest is the operator's overrun.
async fn settle_into_period(
    tx: &mut Transaction<'_, Postgres>,
    user_id: &str,
    period: &str,
    held: i64,
    actual: i64,
    now: OffsetDateTime,
) -> Result<BudgetSettlement, StoreError> {
    let charged = actual.min(held);
    let overrun = actual.saturating_sub(charged);
    sqlx::query(
        "UPDATE budget_periods SET reserved = reserved - $1, spent = spent + $2,
            overrun = overrun + $3, updated_at = $4
         WHERE user_id = $5 AND period = $6",
    )
    .bind(held)
    .bind(charged)
    .bind(overrun)
    .bind(ts(now))
    .bind(user_id)
    .bind(period)
    .execute(&mut **tx)
    .await?;
    Ok(BudgetSettlement {
        charged: to_u64(charged, "charged")?,
        overrun: to_u64(overrun, "overrun")?,
    })
}

/// Settles, inside `tx`, reservations just deleted with `RETURNING user_id,
/// period, amount`, each at its full amount: their call may have run to the
/// end, and charging what was held never undercharges nor passes the budget.
pub(super) async fn settle_released(
    tx: &mut Transaction<'_, Postgres>,
    rows: &[PgRow],
    now: OffsetDateTime,
) -> Result<u64, StoreError> {
    for row in rows {
        let user_id: String = row.try_get("user_id")?;
        let period: String = row.try_get("period")?;
        let amount: i64 = row.try_get("amount")?;
        settle_into_period(tx, &user_id, &period, amount, amount, now).await?;
    }
    Ok(rows.len() as u64)
}

pub(super) async fn settle_budget(
    pool: &PgPool,
    reservation: BudgetReservationId,
    actual: u64,
    now: OffsetDateTime,
) -> Result<BudgetSettlement, StoreError> {
    let actual = to_i64(actual, "actual amount")?;
    let mut tx = pool.begin().await?;
    // Deleting the reservation is what makes settling happen once.
    let row = sqlx::query(
        "DELETE FROM budget_reservations WHERE id = $1 RETURNING user_id, period, amount",
    )
    .bind(reservation.to_string())
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else {
        tx.rollback().await?;
        return Err(not_found("budget reservation"));
    };
    let user_id: String = row.try_get("user_id")?;
    let period: String = row.try_get("period")?;
    let settled = settle_into_period(
        &mut tx,
        &user_id,
        &period,
        row.try_get("amount")?,
        actual,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(settled)
}

pub(super) async fn budget_status(
    pool: &PgPool,
    user: UserId,
    period: &str,
) -> Result<BudgetStatus, StoreError> {
    read_status(pool, user, period).await
}

pub(super) async fn settle_stale_reservations(
    pool: &PgPool,
    older_than: OffsetDateTime,
    now: OffsetDateTime,
) -> Result<u64, StoreError> {
    let mut tx = pool.begin().await?;
    let rows = sqlx::query(
        "DELETE FROM budget_reservations WHERE created_at < $1 RETURNING user_id, period, amount",
    )
    .bind(ts(older_than))
    .fetch_all(&mut *tx)
    .await?;
    let released = settle_released(&mut tx, &rows, now).await?;
    tx.commit().await?;
    Ok(released)
}

// ---- rate limits ----

pub(super) async fn admit_request(
    pool: &PgPool,
    user: UserId,
    kind: &str,
    windows: &[RateWindow],
    now: OffsetDateTime,
) -> Result<RateAdmission, StoreError> {
    let now_s = ts(now);
    let longest = windows.iter().map(|w| w.seconds).max().unwrap_or(0);
    let mut tx = pool.begin().await?;
    // Racing admissions of one user and kind serialise on this lock, held to
    // the end of the transaction: the counts below cannot be raced.
    super::lock(&mut tx, "rate", &format!("{user}/{kind}")).await?;
    sqlx::query("DELETE FROM rate_events WHERE user_id = $1 AND kind = $2 AND at <= $3")
        .bind(user.to_string())
        .bind(kind)
        .bind(now_s.saturating_sub(to_i64(longest, "window")?))
        .execute(&mut *tx)
        .await?;
    let mut states = Vec::with_capacity(windows.len());
    let mut refusal: Option<StoreError> = None;
    let mut longest_wait = 0;
    for window in windows {
        let start = now_s.saturating_sub(to_i64(window.seconds, "window")?);
        // `at > start` with no upper bound: events stamped after `now` (the
        // clock stepped back) still count, so a clock step cannot reopen a window.
        let row = sqlx::query(
            "SELECT COUNT(*) AS used, MIN(at) AS oldest FROM rate_events
             WHERE user_id = $1 AND kind = $2 AND at > $3",
        )
        .bind(user.to_string())
        .bind(kind)
        .bind(start)
        .fetch_one(&mut *tx)
        .await?;
        let used = get_u64(&row, "used")?;
        let oldest: Option<i64> = row.try_get("oldest")?;
        if used >= window.max {
            // Enough of the oldest events must leave for one slot to free up:
            // the (used - max + 1)-th oldest is the last of them.
            let freeing: Option<i64> = if window.max == 0 {
                None
            } else {
                sqlx::query_scalar(
                    "SELECT at FROM rate_events WHERE user_id = $1 AND kind = $2 AND at > $3
                     ORDER BY at LIMIT 1 OFFSET $4",
                )
                .bind(user.to_string())
                .bind(kind)
                .bind(start)
                .bind(to_i64(used - window.max, "offset")?)
                .fetch_optional(&mut *tx)
                .await?
            };
            let leaves_at = freeing
                .unwrap_or(now_s)
                .saturating_add(to_i64(window.seconds, "window")?);
            let wait = u64::try_from(leaves_at.saturating_sub(now_s))
                .unwrap_or(0)
                .max(1);
            if refusal.is_none() || wait > longest_wait {
                longest_wait = wait;
                refusal = Some(StoreError::RateLimited {
                    window_seconds: window.seconds,
                    max: window.max,
                    retry_after_seconds: wait,
                });
            }
            continue;
        }
        let oldest = oldest.unwrap_or(now_s).min(now_s);
        states.push(WindowState {
            seconds: window.seconds,
            max: window.max,
            used: used + 1,
            reset_at: from_ts(oldest.saturating_add(to_i64(window.seconds, "window")?))?,
        });
    }
    if let Some(refusal) = refusal {
        tx.rollback().await?;
        return Err(refusal);
    }
    sqlx::query("INSERT INTO rate_events (user_id, kind, at) VALUES ($1, $2, $3)")
        .bind(user.to_string())
        .bind(kind)
        .bind(now_s)
        .execute(&mut *tx)
        .await
        .map_err(missing("user"))?;
    tx.commit().await?;
    Ok(RateAdmission { windows: states })
}
