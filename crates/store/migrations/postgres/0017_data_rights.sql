-- SQLite's 0017 in PostgreSQL's dialect (issue 15's data rights, issue
-- 13's deleting a game). See the SQLite file for why each table exists.
CREATE TABLE object_deletions (
    sha256       TEXT PRIMARY KEY NOT NULL,
    requested_at BIGINT NOT NULL,
    attempts     BIGINT NOT NULL DEFAULT 0,
    last_error   TEXT
);

-- `seq` orders entries of the same second, as SQLite's rowid does.
CREATE TABLE audit_log (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY,
    id         TEXT PRIMARY KEY NOT NULL,
    at         BIGINT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    detail     TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
