-- The coach (issue 4): conversations, messages and their citations, notes,
-- metered usage, the budget ledger and rate-limit events. Times are Unix
-- seconds; token counts and costs (micro-units of money) are INTEGER.
-- Everything a user owns goes when the user goes (ON DELETE CASCADE).

CREATE TABLE conversations (
    id         TEXT PRIMARY KEY NOT NULL,
    owner_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title      TEXT NOT NULL,
    profile    TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
-- The conversations list: one owner's, most recently updated first.
CREATE INDEX conversations_owner_updated ON conversations (owner_id, updated_at);

CREATE TABLE messages (
    id                 TEXT PRIMARY KEY NOT NULL,
    conversation_id    TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    role               TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
    text               TEXT NOT NULL,
    tool_calls_json    TEXT NOT NULL,
    attachments_json   TEXT NOT NULL,
    provider           TEXT,
    model              TEXT,
    stop_reason        TEXT,
    input_tokens       INTEGER NOT NULL,
    output_tokens      INTEGER NOT NULL,
    cache_read_tokens  INTEGER NOT NULL,
    cache_write_tokens INTEGER NOT NULL,
    cost_micros        INTEGER NOT NULL,
    created_at         INTEGER NOT NULL
);
-- A conversation's messages in order (created_at, then rowid for ties).
CREATE INDEX messages_conversation ON messages (conversation_id, created_at);

CREATE TABLE message_citations (
    message_id   TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    recording_id TEXT NOT NULL REFERENCES recordings (id) ON DELETE CASCADE,
    at_seconds   REAL NOT NULL,
    label        TEXT NOT NULL,
    PRIMARY KEY (message_id, position)
);
CREATE INDEX message_citations_recording ON message_citations (recording_id);

CREATE TABLE notes (
    id         TEXT PRIMARY KEY NOT NULL,
    owner_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    text       TEXT NOT NULL,
    author     TEXT NOT NULL CHECK (author IN ('user', 'coach')),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX notes_owner_created ON notes (owner_id, created_at);

-- One row per metered provider call. Kept when its conversation is deleted
-- (the money was spent); message_id has no foreign key because the record is
-- written before (or instead of) the message.
CREATE TABLE usage_records (
    id                 TEXT PRIMARY KEY NOT NULL,
    user_id            TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    conversation_id    TEXT REFERENCES conversations (id) ON DELETE SET NULL,
    message_id         TEXT,
    provider           TEXT NOT NULL,
    model              TEXT NOT NULL,
    input_tokens       INTEGER NOT NULL,
    output_tokens      INTEGER NOT NULL,
    cache_read_tokens  INTEGER NOT NULL,
    cache_write_tokens INTEGER NOT NULL,
    latency_ms         INTEGER NOT NULL,
    cost_micros        INTEGER NOT NULL,
    outcome            TEXT NOT NULL CHECK (outcome IN ('ok', 'truncated', 'error')),
    error              TEXT,
    created_at         INTEGER NOT NULL
);
-- Totals over a time range and history pages, per user.
CREATE INDEX usage_records_user_created ON usage_records (user_id, created_at);
-- Lets deleting a conversation find its records without a scan.
CREATE INDEX usage_records_conversation ON usage_records (conversation_id);

-- The ledger: per user and period (an opaque key such as '2026-11'), what is
-- settled and what is held by calls in flight. A reservation is checked and
-- added in one conditional UPDATE, so racing callers cannot overshoot.
CREATE TABLE budget_periods (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    period     TEXT NOT NULL,
    spent      INTEGER NOT NULL DEFAULT 0 CHECK (spent >= 0),
    reserved   INTEGER NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, period)
);

-- Holds not settled yet; settling deletes the row, so it happens once.
CREATE TABLE budget_reservations (
    id         TEXT PRIMARY KEY NOT NULL,
    user_id    TEXT NOT NULL,
    period     TEXT NOT NULL,
    amount     INTEGER NOT NULL CHECK (amount >= 0),
    created_at INTEGER NOT NULL,
    FOREIGN KEY (user_id, period) REFERENCES budget_periods (user_id, period) ON DELETE CASCADE
);
CREATE INDEX budget_reservations_period ON budget_reservations (user_id, period);
-- The sweep of reservations whose process died.
CREATE INDEX budget_reservations_created ON budget_reservations (created_at);

-- Admitted requests per user and kind, for sliding-window rate limits; pruned
-- past the longest window on every admission.
CREATE TABLE rate_events (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind    TEXT NOT NULL,
    at      INTEGER NOT NULL
);
CREATE INDEX rate_events_user_kind_at ON rate_events (user_id, kind, at);
