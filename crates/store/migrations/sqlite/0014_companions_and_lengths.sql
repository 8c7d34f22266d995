-- Issue 10: files uploaded beside a recording (a talk's transcript), one
-- per recording and purpose, stored as objects named by their hash; and a
-- recording's length as its domain read it at upload, which per-day minute
-- limits add up.
CREATE TABLE recording_companions (
    recording_id      TEXT NOT NULL REFERENCES recordings (id) ON DELETE CASCADE,
    purpose           TEXT NOT NULL,
    extension         TEXT NOT NULL,
    sha256            TEXT NOT NULL,
    size              INTEGER NOT NULL,
    original_filename TEXT NOT NULL,
    created_at        INTEGER NOT NULL,
    PRIMARY KEY (recording_id, purpose)
);
CREATE INDEX recording_companions_sha256 ON recording_companions (sha256);

ALTER TABLE recordings ADD COLUMN length_s REAL;

-- Per-day limits count one user's links of one kind since midnight.
CREATE INDEX recording_owners_user_kind_uploaded
    ON recording_owners (user_id, kind, uploaded_at);
