-- filmroom's schema for PostgreSQL: SQLite's migrations 0001-0013 folded into
-- one, in PostgreSQL's dialect. Times are Unix seconds (BIGINT), ids are
-- hyphenated UUID text, as in SQLite, so rows copy between the two unchanged.
-- Integers are BIGINT throughout (SQLite's INTEGER is 64 bits).
--
-- What differs from SQLite, and why:
-- * SQLite's COLLATE NOCASE (ASCII case folding) is lower(...) here: unique
--   indexes on lower(username) and lower(name), and lower() in the queries.
-- * Tables SQLite orders by rowid carry `seq`, an identity column.
-- * Full-text search (SQLite's FTS5 tables of 0011) is a generated tsvector
--   column with a GIN index on events and passages; `filmroom_fold` lowers
--   and strips diacritics as FTS5's unicode61 tokenizer does.
-- * The denormalised list tables of SQLite's 0009 and 0013 (owner_facets,
--   owner_totals, owner_facet_totals and their triggers) are SQLite's query
--   plan for 10,000-recording lists, not data: PostgreSQL's planner reads
--   the lists from recording_owners and recording_facets with the indexes
--   below, so they are not here.

CREATE EXTENSION IF NOT EXISTS unaccent;

-- unaccent() is STABLE (it reads a dictionary); fixing the dictionary makes
-- it safe to use in a generated column and an index.
CREATE FUNCTION filmroom_fold(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN lower(unaccent('unaccent'::regdictionary, $1));

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    is_admin      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    BIGINT NOT NULL,
    -- The usage plan an operator put the user on; NULL: the configured default.
    plan          TEXT,
    seq           BIGINT GENERATED ALWAYS AS IDENTITY
);
CREATE UNIQUE INDEX users_username ON users (lower(username));

-- The in-game names or "platform:id" strings that are this user, for win/loss.
CREATE TABLE user_player_names (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name    TEXT NOT NULL
);
CREATE UNIQUE INDEX user_player_names_name ON user_player_names (user_id, lower(name));

CREATE TABLE sessions (
    id_hash    TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT,
    seq          BIGINT GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- Keys the server makes once and every process sharing this database uses.
CREATE TABLE server_secrets (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- One row per distinct file (content-addressed), with its facts.
CREATE TABLE recordings (
    id              TEXT PRIMARY KEY,
    sha256          TEXT NOT NULL UNIQUE,
    size            BIGINT NOT NULL,
    kind            TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    analysis_json   TEXT,
    analyzed_at     BIGINT,
    played_at       BIGINT,
    map             TEXT,
    match_type      TEXT,
    team_size       BIGINT,
    score_blue      BIGINT,
    score_orange    BIGINT,
    title           TEXT,
    duration_s      DOUBLE PRECISION,
    outcome         TEXT CHECK (outcome IN ('none', 'draw', 'winner')),
    winner_side     TEXT,
    -- The domain's analysis revision the stored rows were made by.
    revision        BIGINT,
    degraded_code   TEXT,
    degraded_reason TEXT
);
CREATE INDEX recordings_kind_revision ON recordings (kind, revision);

CREATE TABLE recording_players (
    recording_id TEXT NOT NULL REFERENCES recordings (id) ON DELETE CASCADE,
    position     BIGINT NOT NULL,
    name         TEXT NOT NULL,
    player_id    TEXT,
    team         BIGINT NOT NULL,
    PRIMARY KEY (recording_id, position)
);

-- Ownership is the link: a user sees a recording only through a row here,
-- with their own "me", outcome and copies of the facts the lists sort on.
CREATE TABLE recording_owners (
    recording_id      TEXT NOT NULL REFERENCES recordings (id) ON DELETE CASCADE,
    user_id           TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    original_filename TEXT NOT NULL,
    uploaded_at       BIGINT NOT NULL,
    me                TEXT,
    outcome           TEXT NOT NULL DEFAULT 'unknown'
        CHECK (outcome IN ('win', 'loss', 'draw', 'unknown')),
    occurred_at       BIGINT,
    kind              TEXT,
    title             TEXT,
    duration_s        DOUBLE PRECISION,
    PRIMARY KEY (user_id, recording_id)
);
CREATE INDEX recording_owners_recording ON recording_owners (recording_id);
CREATE INDEX recording_owners_user_occurred ON recording_owners (user_id, occurred_at, recording_id);
CREATE INDEX recording_owners_user_uploaded ON recording_owners (user_id, uploaded_at, recording_id);
CREATE INDEX recording_owners_user_kind ON recording_owners (user_id, kind, me);
CREATE INDEX recording_owners_user_outcome ON recording_owners (user_id, outcome);

CREATE TABLE jobs (
    id           TEXT PRIMARY KEY,
    recording_id TEXT NOT NULL REFERENCES recordings (id) ON DELETE CASCADE,
    state        TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'dead')),
    attempts     BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL,
    last_error   TEXT,
    worker_id    TEXT,
    lease_until  BIGINT,
    run_after    BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    finished_at  BIGINT,
    -- An upload's analysis, or a re-analysis (claimed after every waiting
    -- upload, not counted against the upload queue limit).
    purpose      TEXT NOT NULL DEFAULT 'upload' CHECK (purpose IN ('upload', 'reanalysis')),
    seq          BIGINT GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX jobs_claim ON jobs (state, run_after);
CREATE INDEX jobs_recording_purpose ON jobs (recording_id, purpose, created_at);

-- ---- the neutral analysis ----

CREATE TABLE recording_facets (
    recording_id TEXT NOT NULL REFERENCES recordings (id) ON DELETE CASCADE,
    facet        TEXT NOT NULL,
    value        TEXT NOT NULL,
    PRIMARY KEY (recording_id, facet)
);
CREATE INDEX recording_facets_facet_value ON recording_facets (facet, lower(value));

CREATE TABLE recording_sides (
    recording_id TEXT NOT NULL REFERENCES recordings (id) ON DELETE CASCADE,
    position     BIGINT NOT NULL,
    side         TEXT NOT NULL,
    display_name TEXT NOT NULL,
    PRIMARY KEY (recording_id, side)
);
CREATE INDEX recording_sides_position ON recording_sides (recording_id, position);

CREATE TABLE participants (
    recording_id TEXT NOT NULL REFERENCES recordings (id) ON DELETE CASCADE,
    position     BIGINT NOT NULL,
    participant  TEXT NOT NULL,
    display_name TEXT NOT NULL,
    side         TEXT,
    is_bot       BOOLEAN NOT NULL,
    PRIMARY KEY (recording_id, participant)
);
CREATE INDEX participants_participant ON participants (participant);

-- `subject` is '' for the whole recording, else the side or participant key.
CREATE TABLE metrics (
    recording_id     TEXT NOT NULL REFERENCES recordings (id) ON DELETE CASCADE,
    subject_kind     TEXT NOT NULL CHECK (subject_kind IN ('recording', 'side', 'participant')),
    subject          TEXT NOT NULL,
    metric           TEXT NOT NULL,
    value            DOUBLE PRECISION NOT NULL,
    unit             TEXT NOT NULL,
    higher_is_better BOOLEAN,
    seq              BIGINT GENERATED ALWAYS AS IDENTITY,
    PRIMARY KEY (recording_id, subject_kind, subject, metric)
);
-- One metric of one identity across recordings: a trend or an aggregate.
CREATE INDEX metrics_series ON metrics (metric, subject_kind, subject, recording_id, value);

CREATE TABLE events (
    recording_id TEXT NOT NULL REFERENCES recordings (id) ON DELETE CASCADE,
    seq          BIGINT NOT NULL,
    t_s          DOUBLE PRECISION NOT NULL,
    kind         TEXT NOT NULL,
    subject_kind TEXT NOT NULL CHECK (subject_kind IN ('recording', 'side', 'participant')),
    subject      TEXT NOT NULL,
    label        TEXT NOT NULL,
    x            DOUBLE PRECISION,
    y            DOUBLE PRECISION,
    z            DOUBLE PRECISION,
    payload_json TEXT NOT NULL,
    label_words  TSVECTOR GENERATED ALWAYS AS (to_tsvector('simple', filmroom_fold(label))) STORED,
    PRIMARY KEY (recording_id, seq)
);
CREATE INDEX events_recording_kind ON events (recording_id, kind);
CREATE INDEX events_label_words ON events USING GIN (label_words);

-- A time span (start_s, end_s) or a page, never both.
CREATE TABLE passages (
    recording_id TEXT NOT NULL REFERENCES recordings (id) ON DELETE CASCADE,
    seq          BIGINT NOT NULL,
    start_s      DOUBLE PRECISION,
    end_s        DOUBLE PRECISION,
    page         BIGINT,
    text         TEXT NOT NULL,
    text_words   TSVECTOR GENERATED ALWAYS AS (to_tsvector('simple', filmroom_fold(text))) STORED,
    PRIMARY KEY (recording_id, seq),
    CHECK ((start_s IS NOT NULL AND end_s IS NOT NULL AND page IS NULL)
        OR (start_s IS NULL AND end_s IS NULL AND page IS NOT NULL))
);
CREATE INDEX passages_text_words ON passages USING GIN (text_words);

-- "Me": the participant keys a user says are them (`user`), or the one the
-- platform inferred from their recordings (`inferred`, see identity.rs).
CREATE TABLE identity_links (
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    participant TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    source      TEXT NOT NULL DEFAULT 'user' CHECK (source IN ('user', 'inferred')),
    PRIMARY KEY (user_id, kind, participant)
);

-- ---- the coach ----

CREATE TABLE conversations (
    id         TEXT PRIMARY KEY,
    owner_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title      TEXT NOT NULL,
    profile    TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    seq        BIGINT GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX conversations_owner_updated ON conversations (owner_id, updated_at);

CREATE TABLE messages (
    id                 TEXT PRIMARY KEY,
    conversation_id    TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    role               TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
    text               TEXT NOT NULL,
    tool_calls_json    TEXT NOT NULL,
    attachments_json   TEXT NOT NULL,
    provider           TEXT,
    model              TEXT,
    stop_reason        TEXT,
    input_tokens       BIGINT NOT NULL,
    output_tokens      BIGINT NOT NULL,
    cache_read_tokens  BIGINT NOT NULL,
    cache_write_tokens BIGINT NOT NULL,
    cost_micros        BIGINT NOT NULL,
    created_at         BIGINT NOT NULL,
    seq                BIGINT GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX messages_conversation ON messages (conversation_id, created_at, seq);

CREATE TABLE message_citations (
    message_id   TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    position     BIGINT NOT NULL,
    recording_id TEXT NOT NULL REFERENCES recordings (id) ON DELETE CASCADE,
    at_seconds   DOUBLE PRECISION NOT NULL,
    label        TEXT NOT NULL,
    PRIMARY KEY (message_id, position)
);
CREATE INDEX message_citations_recording ON message_citations (recording_id);

CREATE TABLE notes (
    id         TEXT PRIMARY KEY,
    owner_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    text       TEXT NOT NULL,
    author     TEXT NOT NULL CHECK (author IN ('user', 'coach')),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    seq        BIGINT GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX notes_owner_created ON notes (owner_id, created_at);

-- One row per metered provider call, kept when its conversation is deleted.
CREATE TABLE usage_records (
    id                 TEXT PRIMARY KEY,
    user_id            TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    conversation_id    TEXT REFERENCES conversations (id) ON DELETE SET NULL,
    message_id         TEXT,
    provider           TEXT NOT NULL,
    model              TEXT NOT NULL,
    input_tokens       BIGINT NOT NULL,
    output_tokens      BIGINT NOT NULL,
    cache_read_tokens  BIGINT NOT NULL,
    cache_write_tokens BIGINT NOT NULL,
    latency_ms         BIGINT NOT NULL,
    cost_micros        BIGINT NOT NULL,
    outcome            TEXT NOT NULL CHECK (outcome IN ('ok', 'truncated', 'error')),
    error              TEXT,
    created_at         BIGINT NOT NULL,
    seq                BIGINT GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX usage_records_user_created ON usage_records (user_id, created_at);
CREATE INDEX usage_records_conversation ON usage_records (conversation_id);

-- The budget ledger: a reservation is checked and added in one conditional
-- UPDATE of the period's row, so racing callers cannot overshoot.
CREATE TABLE budget_periods (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    period     TEXT NOT NULL,
    spent      BIGINT NOT NULL DEFAULT 0 CHECK (spent >= 0),
    reserved   BIGINT NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    updated_at BIGINT NOT NULL,
    -- Tokens reported beyond the reservation: the operator's cost.
    overrun    BIGINT NOT NULL DEFAULT 0 CHECK (overrun >= 0),
    PRIMARY KEY (user_id, period)
);

-- Holds not settled yet; settling deletes the row, so it happens once.
CREATE TABLE budget_reservations (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    period     TEXT NOT NULL,
    amount     BIGINT NOT NULL CHECK (amount >= 0),
    created_at BIGINT NOT NULL,
    -- The node whose call holds it (NULL: released only by the age sweep).
    node       TEXT,
    FOREIGN KEY (user_id, period) REFERENCES budget_periods (user_id, period) ON DELETE CASCADE
);
CREATE INDEX budget_reservations_period ON budget_reservations (user_id, period);
CREATE INDEX budget_reservations_created ON budget_reservations (created_at);
CREATE INDEX budget_reservations_node ON budget_reservations (node);

-- Admitted requests per user and kind, for sliding-window rate limits.
CREATE TABLE rate_events (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind    TEXT NOT NULL,
    at      BIGINT NOT NULL
);
CREATE INDEX rate_events_user_kind_at ON rate_events (user_id, kind, at);

-- The live processes sharing this database, one row per node name.
CREATE TABLE nodes (
    name         TEXT PRIMARY KEY,
    instance     TEXT NOT NULL,
    host         TEXT NOT NULL,
    pid          BIGINT NOT NULL,
    started_at   BIGINT NOT NULL,
    heartbeat_at BIGINT NOT NULL,
    -- Analysis workers the process runs (0: web only).
    workers      BIGINT NOT NULL DEFAULT 0
);

-- Job changes reach every process (LISTEN filmroom_jobs, see
-- src/postgres/signals.rs): a new job, or a job whose state changed. Lease
-- renewals change no state and stay quiet.
CREATE FUNCTION filmroom_notify_job() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('filmroom_jobs', NEW.id);
    RETURN NULL;
END;
$$;
CREATE TRIGGER jobs_notify_queued AFTER INSERT ON jobs
    FOR EACH ROW EXECUTE FUNCTION filmroom_notify_job();
CREATE TRIGGER jobs_notify_changed AFTER UPDATE OF state ON jobs
    FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state)
    EXECUTE FUNCTION filmroom_notify_job();
