-- filmroom's first schema for SQLite. Times are Unix seconds (INTEGER).
-- Ids are hyphenated UUID text.

CREATE TABLE users (
    id            TEXT PRIMARY KEY NOT NULL,
    username      TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    is_admin      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);

-- The in-game names or "platform:id" strings that are this user, for win/loss.
CREATE TABLE user_player_names (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name    TEXT NOT NULL COLLATE NOCASE,
    PRIMARY KEY (user_id, name)
);

CREATE TABLE sessions (
    id_hash    TEXT PRIMARY KEY NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- One row per distinct file (content-addressed); the summary columns are filled
-- from the analysis so the games list can filter and sort in SQL.
CREATE TABLE recordings (
    id            TEXT PRIMARY KEY NOT NULL,
    sha256        TEXT NOT NULL UNIQUE,
    size          INTEGER NOT NULL,
    kind          TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    analysis_json TEXT,
    analyzed_at   INTEGER,
    played_at     INTEGER,
    map           TEXT,
    match_type    TEXT,
    team_size     INTEGER,
    score_blue    INTEGER,
    score_orange  INTEGER
);

CREATE TABLE recording_players (
    recording_id TEXT NOT NULL REFERENCES recordings (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    name         TEXT NOT NULL,
    player_id    TEXT,
    team         INTEGER NOT NULL,
    PRIMARY KEY (recording_id, position)
);

-- Ownership is the link: a user sees a recording only through a row here.
CREATE TABLE recording_owners (
    recording_id      TEXT NOT NULL REFERENCES recordings (id) ON DELETE CASCADE,
    user_id           TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    original_filename TEXT NOT NULL,
    uploaded_at       INTEGER NOT NULL,
    PRIMARY KEY (user_id, recording_id)
);
CREATE INDEX recording_owners_recording ON recording_owners (recording_id);

CREATE TABLE jobs (
    id           TEXT PRIMARY KEY NOT NULL,
    recording_id TEXT NOT NULL REFERENCES recordings (id) ON DELETE CASCADE,
    state        TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'dead')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    last_error   TEXT,
    worker_id    TEXT,
    lease_until  INTEGER,
    run_after    INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    finished_at  INTEGER
);
CREATE INDEX jobs_claim ON jobs (state, run_after);
CREATE INDEX jobs_recording ON jobs (recording_id);
