-- Issue 9: a metric's trend, the coach's aggregates and its text search over
-- a library of 10,000 recordings read index ranges, not one lookup per
-- recording or a LIKE over every event and passage.

-- One metric of one participant across recordings, with its value: a trend
-- or an aggregate reads one contiguous range of this index (the rows of the
-- user's "me" keys) instead of a primary-key lookup and a table read per
-- recording. Replaces the same index without the value.
DROP INDEX metrics_metric_subject;
CREATE INDEX metrics_series
    ON metrics (metric, subject_kind, subject, recording_id, value);

-- The "me" keys of a user's recordings of one kind, each a hop through the
-- index; and an owner link's columns a trend or an aggregate reads, looked
-- up by (user, recording) without reading the row.
CREATE INDEX recording_owners_me
    ON recording_owners (user_id, kind, me);
CREATE INDEX recording_owners_series
    ON recording_owners (user_id, recording_id, kind, me, occurred_at, outcome);

-- A recording's facts as the lists, the coach's reads and the search read
-- them, without the row: the columns 0007 added sit after `analysis_json`
-- in each row, so reading one from the table walks the stored report's
-- overflow pages first (about 50 pages for a 200 KB report, per row listed).
CREATE INDEX recordings_facts
    ON recordings (id, kind, revision, title, played_at, duration_s, size,
        degraded_code, degraded_reason, outcome, winner_side);

-- The coach's `search_moments`: full-text indexes over event labels and
-- passage texts, external-content tables over the rows themselves (nothing
-- stored twice) kept equal by the triggers below on every write path
-- (a completed job, a re-analysis, a deleted recording's cascade).
-- unicode61 folds case and diacritics; the store builds each query from the
-- user's words as quoted prefix terms (see coach_reads.rs).
CREATE VIRTUAL TABLE events_fts USING fts5(
    label, content = 'events', content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE passages_fts USING fts5(
    text, content = 'passages', content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO events_fts (events_fts) VALUES ('rebuild');
INSERT INTO passages_fts (passages_fts) VALUES ('rebuild');

CREATE TRIGGER events_fts_added AFTER INSERT ON events
BEGIN
    INSERT INTO events_fts (rowid, label) VALUES (NEW.rowid, NEW.label);
END;
CREATE TRIGGER events_fts_removed AFTER DELETE ON events
BEGIN
    INSERT INTO events_fts (events_fts, rowid, label) VALUES ('delete', OLD.rowid, OLD.label);
END;
CREATE TRIGGER events_fts_changed AFTER UPDATE ON events
BEGIN
    INSERT INTO events_fts (events_fts, rowid, label) VALUES ('delete', OLD.rowid, OLD.label);
    INSERT INTO events_fts (rowid, label) VALUES (NEW.rowid, NEW.label);
END;

CREATE TRIGGER passages_fts_added AFTER INSERT ON passages
BEGIN
    INSERT INTO passages_fts (rowid, text) VALUES (NEW.rowid, NEW.text);
END;
CREATE TRIGGER passages_fts_removed AFTER DELETE ON passages
BEGIN
    INSERT INTO passages_fts (passages_fts, rowid, text) VALUES ('delete', OLD.rowid, OLD.text);
END;
CREATE TRIGGER passages_fts_changed AFTER UPDATE ON passages
BEGIN
    INSERT INTO passages_fts (passages_fts, rowid, text) VALUES ('delete', OLD.rowid, OLD.text);
    INSERT INTO passages_fts (rowid, text) VALUES (NEW.rowid, NEW.text);
END;
