-- Issue 9: a facet-filtered list walks the owner's facet rows in the list's
-- order. Each `owner_facets` row also carries the owner link's sort keys
-- (kind, title, duration, upload time, beside the date and outcome 0009
-- copied), and one index per sort starts with (user, facet, value) then the
-- sort's key as `recording_owners`' indexes of 0009 have it: a page is one
-- index range that stops after the page, then a lookup per listed row,
-- instead of a walk of every recording of the user with a probe each.
-- Each index carries what the lists filter on (outcome, kind, date) and,
-- for the games list's date, the upload time its key falls back on: a
-- walk reads the index alone.

ALTER TABLE owner_facets ADD COLUMN kind TEXT;
ALTER TABLE owner_facets ADD COLUMN title TEXT;
ALTER TABLE owner_facets ADD COLUMN duration_s REAL;
ALTER TABLE owner_facets ADD COLUMN uploaded_at INTEGER;
UPDATE owner_facets SET (kind, title, duration_s, uploaded_at) = (
    SELECT o.kind, o.title, o.duration_s, o.uploaded_at FROM recording_owners o
    WHERE o.user_id = owner_facets.user_id AND o.recording_id = owner_facets.recording_id);

CREATE INDEX owner_facets_occurred_desc
    ON owner_facets (user_id, facet, value, COALESCE(occurred_at, -9e999),
        recording_id, outcome, kind, occurred_at);
CREATE INDEX owner_facets_occurred_asc
    ON owner_facets (user_id, facet, value, COALESCE(occurred_at, ''),
        recording_id, outcome, kind, occurred_at);
CREATE INDEX owner_facets_title_desc
    ON owner_facets (user_id, facet, value, COALESCE(title, 0) COLLATE NOCASE,
        recording_id, outcome, kind, occurred_at);
CREATE INDEX owner_facets_title_asc
    ON owner_facets (user_id, facet, value, COALESCE(title, x'') COLLATE NOCASE,
        recording_id, outcome, kind, occurred_at);
CREATE INDEX owner_facets_duration_desc
    ON owner_facets (user_id, facet, value, COALESCE(duration_s, -9e999),
        recording_id, outcome, kind, occurred_at);
CREATE INDEX owner_facets_duration_asc
    ON owner_facets (user_id, facet, value, COALESCE(duration_s, ''),
        recording_id, outcome, kind, occurred_at);
CREATE INDEX owner_facets_uploaded
    ON owner_facets (user_id, facet, value, uploaded_at,
        recording_id, outcome, kind, occurred_at);
CREATE INDEX owner_facets_played_or_uploaded
    ON owner_facets (user_id, facet, value, COALESCE(occurred_at, uploaded_at),
        recording_id, outcome, kind, occurred_at, uploaded_at);

-- The triggers of 0009, copying the new columns too.
DROP TRIGGER owner_facets_facet_added;
CREATE TRIGGER owner_facets_facet_added AFTER INSERT ON recording_facets
BEGIN
    INSERT INTO owner_facets (user_id, recording_id, facet, value, occurred_at, outcome,
        kind, title, duration_s, uploaded_at)
    SELECT o.user_id, NEW.recording_id, NEW.facet, NEW.value, o.occurred_at, o.outcome,
        o.kind, o.title, o.duration_s, o.uploaded_at
    FROM recording_owners o WHERE o.recording_id = NEW.recording_id;
END;

DROP TRIGGER owner_facets_facet_changed;
CREATE TRIGGER owner_facets_facet_changed AFTER UPDATE ON recording_facets
BEGIN
    DELETE FROM owner_facets WHERE recording_id = OLD.recording_id AND facet = OLD.facet;
    INSERT INTO owner_facets (user_id, recording_id, facet, value, occurred_at, outcome,
        kind, title, duration_s, uploaded_at)
    SELECT o.user_id, NEW.recording_id, NEW.facet, NEW.value, o.occurred_at, o.outcome,
        o.kind, o.title, o.duration_s, o.uploaded_at
    FROM recording_owners o WHERE o.recording_id = NEW.recording_id;
END;

DROP TRIGGER owner_facets_owner_added;
CREATE TRIGGER owner_facets_owner_added AFTER INSERT ON recording_owners
BEGIN
    INSERT INTO owner_facets (user_id, recording_id, facet, value, occurred_at, outcome,
        kind, title, duration_s, uploaded_at)
    SELECT NEW.user_id, f.recording_id, f.facet, f.value, NEW.occurred_at, NEW.outcome,
        NEW.kind, NEW.title, NEW.duration_s, NEW.uploaded_at
    FROM recording_facets f WHERE f.recording_id = NEW.recording_id;
END;

DROP TRIGGER owner_facets_owner_changed;
CREATE TRIGGER owner_facets_owner_changed
AFTER UPDATE OF occurred_at, outcome, kind, title, duration_s, uploaded_at ON recording_owners
WHEN OLD.occurred_at IS NOT NEW.occurred_at OR OLD.outcome IS NOT NEW.outcome
    OR OLD.kind IS NOT NEW.kind OR OLD.title IS NOT NEW.title
    OR OLD.duration_s IS NOT NEW.duration_s OR OLD.uploaded_at IS NOT NEW.uploaded_at
BEGIN
    UPDATE owner_facets SET occurred_at = NEW.occurred_at, outcome = NEW.outcome,
        kind = NEW.kind, title = NEW.title, duration_s = NEW.duration_s,
        uploaded_at = NEW.uploaded_at
    WHERE user_id = NEW.user_id AND recording_id = NEW.recording_id;
END;

-- How many of each user's recordings have each facet value, by kind and
-- outcome: the total of a list filtered by one facet (and a kind or an
-- outcome, not dates) is a sum of a few rows, not a count of the range.
-- The value's NOCASE collation makes "Beta" and "beta" one row, as the
-- filter matches them.
CREATE TABLE owner_facet_totals (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    facet   TEXT NOT NULL,
    value   TEXT NOT NULL COLLATE NOCASE,
    kind    TEXT NOT NULL,
    outcome TEXT NOT NULL,
    n       INTEGER NOT NULL,
    PRIMARY KEY (user_id, facet, value, kind, outcome)
) WITHOUT ROWID;
INSERT INTO owner_facet_totals (user_id, facet, value, kind, outcome, n)
SELECT user_id, facet, value, kind, outcome, COUNT(*) FROM owner_facets
GROUP BY user_id, facet, value, kind, outcome;

CREATE TRIGGER owner_facet_totals_added AFTER INSERT ON owner_facets
BEGIN
    INSERT INTO owner_facet_totals (user_id, facet, value, kind, outcome, n)
    VALUES (NEW.user_id, NEW.facet, NEW.value, NEW.kind, NEW.outcome, 1)
    ON CONFLICT (user_id, facet, value, kind, outcome) DO UPDATE SET n = n + 1;
END;

-- Only an UPDATE, as for owner_totals: a deleted user's totals may go first.
CREATE TRIGGER owner_facet_totals_removed AFTER DELETE ON owner_facets
BEGIN
    UPDATE owner_facet_totals SET n = n - 1
    WHERE user_id = OLD.user_id AND facet = OLD.facet AND value = OLD.value
      AND kind = OLD.kind AND outcome = OLD.outcome;
END;

CREATE TRIGGER owner_facet_totals_changed AFTER UPDATE OF facet, value, kind, outcome ON owner_facets
WHEN OLD.facet IS NOT NEW.facet OR OLD.value IS NOT NEW.value
    OR OLD.kind IS NOT NEW.kind OR OLD.outcome IS NOT NEW.outcome
BEGIN
    UPDATE owner_facet_totals SET n = n - 1
    WHERE user_id = OLD.user_id AND facet = OLD.facet AND value = OLD.value
      AND kind = OLD.kind AND outcome = OLD.outcome;
    INSERT INTO owner_facet_totals (user_id, facet, value, kind, outcome, n)
    VALUES (NEW.user_id, NEW.facet, NEW.value, NEW.kind, NEW.outcome, 1)
    ON CONFLICT (user_id, facet, value, kind, outcome) DO UPDATE SET n = n + 1;
END;
