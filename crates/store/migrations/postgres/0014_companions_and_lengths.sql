-- SQLite's 0014 in PostgreSQL's dialect: files uploaded beside a recording
-- (a talk's transcript), one per recording and purpose, and a recording's
-- length as its domain read it at upload (what per-day minute limits add up).
CREATE TABLE recording_companions (
    recording_id      TEXT NOT NULL REFERENCES recordings (id) ON DELETE CASCADE,
    purpose           TEXT NOT NULL,
    extension         TEXT NOT NULL,
    sha256            TEXT NOT NULL,
    size              BIGINT NOT NULL,
    original_filename TEXT NOT NULL,
    created_at        BIGINT NOT NULL,
    PRIMARY KEY (recording_id, purpose)
);
CREATE INDEX recording_companions_sha256 ON recording_companions (sha256);

ALTER TABLE recordings ADD COLUMN length_s DOUBLE PRECISION;

CREATE INDEX recording_owners_user_kind_uploaded
    ON recording_owners (user_id, kind, uploaded_at);
