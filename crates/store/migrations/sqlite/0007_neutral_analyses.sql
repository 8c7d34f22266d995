-- Issue 9: every kind of recording stored the same way. A domain's neutral
-- analysis (filmroom-domain) lands in these tables in the transaction that
-- completes its job, so lists, filters, trends and the coach's aggregates are
-- SQL over rows and never parse a report. The old summary columns of
-- `recordings` and `recording_players` stay filled until the pages move over.

-- The recording's facts; `played_at` holds when it happened.
ALTER TABLE recordings ADD COLUMN title TEXT;
ALTER TABLE recordings ADD COLUMN duration_s REAL;
-- 'none' (the domain has no result), 'draw' or 'winner' (with `winner_side`).
ALTER TABLE recordings ADD COLUMN outcome TEXT CHECK (outcome IN ('none', 'draw', 'winner'));
ALTER TABLE recordings ADD COLUMN winner_side TEXT;
-- The domain's analysis revision the stored rows were made by (NULL: before
-- this schema, so the recording waits for a re-analysis).
ALTER TABLE recordings ADD COLUMN revision INTEGER;
ALTER TABLE recordings ADD COLUMN degraded_code TEXT;
ALTER TABLE recordings ADD COLUMN degraded_reason TEXT;
CREATE INDEX recordings_kind_revision ON recordings (kind, revision);

CREATE TABLE recording_facets (
    recording_id TEXT NOT NULL REFERENCES recordings (id) ON DELETE CASCADE,
    facet        TEXT NOT NULL,
    value        TEXT NOT NULL,
    PRIMARY KEY (recording_id, facet)
);
CREATE INDEX recording_facets_facet_value ON recording_facets (facet, value);

CREATE TABLE recording_sides (
    recording_id TEXT NOT NULL REFERENCES recordings (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    side         TEXT NOT NULL,
    display_name TEXT NOT NULL,
    PRIMARY KEY (recording_id, side)
);

CREATE TABLE participants (
    recording_id TEXT NOT NULL REFERENCES recordings (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    participant  TEXT NOT NULL,
    display_name TEXT NOT NULL,
    side         TEXT,
    is_bot       INTEGER NOT NULL,
    PRIMARY KEY (recording_id, participant)
);
-- "Which recordings is this identity in": linking a participant to a user.
CREATE INDEX participants_participant ON participants (participant);

-- `subject` is '' for the whole recording, else the side or participant key.
CREATE TABLE metrics (
    recording_id     TEXT NOT NULL REFERENCES recordings (id) ON DELETE CASCADE,
    subject_kind     TEXT NOT NULL CHECK (subject_kind IN ('recording', 'side', 'participant')),
    subject          TEXT NOT NULL,
    metric           TEXT NOT NULL,
    value            REAL NOT NULL,
    unit             TEXT NOT NULL,
    higher_is_better INTEGER,
    PRIMARY KEY (recording_id, subject_kind, subject, metric)
);
-- A metric's trend for one identity across recordings.
CREATE INDEX metrics_metric_subject ON metrics (metric, subject_kind, subject);

CREATE TABLE events (
    recording_id TEXT NOT NULL REFERENCES recordings (id) ON DELETE CASCADE,
    seq          INTEGER NOT NULL,
    t_s          REAL NOT NULL,
    kind         TEXT NOT NULL,
    subject_kind TEXT NOT NULL CHECK (subject_kind IN ('recording', 'side', 'participant')),
    subject      TEXT NOT NULL,
    label        TEXT NOT NULL,
    x            REAL,
    y            REAL,
    z            REAL,
    payload_json TEXT NOT NULL,
    PRIMARY KEY (recording_id, seq)
);
CREATE INDEX events_recording_kind ON events (recording_id, kind);

-- A time span (start_s, end_s) or a page, never both.
CREATE TABLE passages (
    recording_id TEXT NOT NULL REFERENCES recordings (id) ON DELETE CASCADE,
    seq          INTEGER NOT NULL,
    start_s      REAL,
    end_s        REAL,
    page         INTEGER,
    text         TEXT NOT NULL,
    PRIMARY KEY (recording_id, seq),
    CHECK ((start_s IS NOT NULL AND end_s IS NOT NULL AND page IS NULL)
        OR (start_s IS NULL AND end_s IS NULL AND page IS NOT NULL))
);

-- "Me", one mechanism for every kind: the participant identity keys a user
-- says are them (alt accounts are more rows).
CREATE TABLE identity_links (
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    participant TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (user_id, kind, participant)
);

-- Each owner's view of a recording, stored when the analysis or the owner's
-- links change (never computed per request): which participant is them and
-- their outcome.
ALTER TABLE recording_owners ADD COLUMN me TEXT;
ALTER TABLE recording_owners ADD COLUMN outcome TEXT NOT NULL DEFAULT 'unknown'
    CHECK (outcome IN ('win', 'loss', 'draw', 'unknown'));
CREATE INDEX recording_owners_user_outcome ON recording_owners (user_id, outcome);
-- When the recording happened, copied from `recordings` with the outcome, so
-- a user's newest recordings are an index range, not a sort of all of them.
ALTER TABLE recording_owners ADD COLUMN occurred_at INTEGER;
CREATE INDEX recording_owners_user_occurred ON recording_owners (user_id, occurred_at, recording_id);
CREATE INDEX recording_owners_user_uploaded ON recording_owners (user_id, uploaded_at, recording_id);
UPDATE recording_owners
SET occurred_at = (SELECT played_at FROM recordings WHERE id = recording_owners.recording_id);

-- The old player names that are platform ids become Rocket League links;
-- plain names become name links (the key the Rocket League domain gives a
-- participant without a platform id).
INSERT INTO identity_links (user_id, kind, participant, created_at)
SELECT user_id, 'rl_replay',
       CASE WHEN instr(name, ':') > 0 THEN name ELSE 'name:' || name END,
       CAST(strftime('%s', 'now') AS INTEGER)
FROM user_player_names;
