-- Issue 15 (data rights) and issue 13 (deleting a game).

-- Objects whose last recording row is gone. The row is written in the same
-- transaction that deletes the recording, and removed only once the object
-- is gone (or wanted again by a new upload of the same bytes), so a failed
-- delete is retried later and no recording row ever points at nothing.
CREATE TABLE object_deletions (
    sha256       TEXT PRIMARY KEY NOT NULL,
    requested_at INTEGER NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT
);

-- What administrators and erasures did. An erasure row never names the
-- erased user (that is the point of erasing them): only who asked and
-- how much went.
CREATE TABLE audit_log (
    id         TEXT PRIMARY KEY NOT NULL,
    at         INTEGER NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    detail     TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
