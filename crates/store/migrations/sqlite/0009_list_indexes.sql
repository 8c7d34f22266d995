-- Issue 9: a user's list of 10,000 recordings answers from index ranges.
-- Each owner link carries its own copy of what the lists sort and filter on
-- (kind, title, duration, beside the date and outcome 0007 copied), kept by
-- the statements that refresh an owner's outcome, so every sort is a walk of
-- one index of `recording_owners` that stops after the page, never a sort of
-- every matching recording. Keys of unknown values are COALESCEd to a value
-- below (descending) or above (ascending) every real one: unknowns come last
-- either way, and a cursor compares plain values.

ALTER TABLE recording_owners ADD COLUMN kind TEXT;
ALTER TABLE recording_owners ADD COLUMN title TEXT;
ALTER TABLE recording_owners ADD COLUMN duration_s REAL;
UPDATE recording_owners SET
    kind = (SELECT r.kind FROM recordings r WHERE r.id = recording_owners.recording_id),
    title = (SELECT r.title FROM recordings r WHERE r.id = recording_owners.recording_id),
    duration_s = (SELECT r.duration_s FROM recordings r WHERE r.id = recording_owners.recording_id),
    occurred_at = (SELECT r.played_at FROM recordings r WHERE r.id = recording_owners.recording_id);

-- -9e999 is -infinity, below every number; '' (text) sorts above every
-- number; 0 (a number) sorts below every text and x'' (a blob) above it.
-- Each index also carries what the lists filter on (outcome, kind, date), so
-- a filtered walk reads the index alone until the page is full.
CREATE INDEX recording_owners_occurred_desc
    ON recording_owners (user_id, COALESCE(occurred_at, -9e999),
        recording_id, outcome, kind, occurred_at);
CREATE INDEX recording_owners_occurred_asc
    ON recording_owners (user_id, COALESCE(occurred_at, ''),
        recording_id, outcome, kind, occurred_at);
CREATE INDEX recording_owners_title_desc
    ON recording_owners (user_id, COALESCE(title, 0) COLLATE NOCASE,
        recording_id, outcome, kind, occurred_at);
CREATE INDEX recording_owners_title_asc
    ON recording_owners (user_id, COALESCE(title, x'') COLLATE NOCASE,
        recording_id, outcome, kind, occurred_at);
CREATE INDEX recording_owners_duration_desc
    ON recording_owners (user_id, COALESCE(duration_s, -9e999),
        recording_id, outcome, kind, occurred_at);
CREATE INDEX recording_owners_duration_asc
    ON recording_owners (user_id, COALESCE(duration_s, ''),
        recording_id, outcome, kind, occurred_at);
DROP INDEX recording_owners_user_uploaded;
CREATE INDEX recording_owners_uploaded
    ON recording_owners (user_id, uploaded_at, recording_id, outcome, kind, occurred_at);
-- The games list's date: when it was played, else when it was uploaded.
CREATE INDEX recording_owners_played_or_uploaded
    ON recording_owners (user_id, COALESCE(occurred_at, uploaded_at),
        recording_id, outcome, kind, occurred_at);

-- How many recordings each user has, by kind and outcome: the total of an
-- unfiltered list (or one filtered by kind and outcome only) is a sum of a
-- few rows instead of a count of every owner link.
CREATE TABLE owner_totals (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind    TEXT NOT NULL,
    outcome TEXT NOT NULL,
    n       INTEGER NOT NULL,
    PRIMARY KEY (user_id, kind, outcome)
) WITHOUT ROWID;
INSERT INTO owner_totals (user_id, kind, outcome, n)
SELECT user_id, kind, outcome, COUNT(*) FROM recording_owners GROUP BY user_id, kind, outcome;

CREATE TRIGGER owner_totals_added AFTER INSERT ON recording_owners
BEGIN
    INSERT INTO owner_totals (user_id, kind, outcome, n)
    VALUES (NEW.user_id, NEW.kind, NEW.outcome, 1)
    ON CONFLICT (user_id, kind, outcome) DO UPDATE SET n = n + 1;
END;

-- Only an UPDATE: when a user is deleted their totals may go first, and an
-- insert here would bring a row back for a user that no longer exists.
CREATE TRIGGER owner_totals_removed AFTER DELETE ON recording_owners
BEGIN
    UPDATE owner_totals SET n = n - 1
    WHERE user_id = OLD.user_id AND kind = OLD.kind AND outcome = OLD.outcome;
END;

CREATE TRIGGER owner_totals_changed AFTER UPDATE OF kind, outcome ON recording_owners
WHEN OLD.kind IS NOT NEW.kind OR OLD.outcome IS NOT NEW.outcome
BEGIN
    UPDATE owner_totals SET n = n - 1
    WHERE user_id = OLD.user_id AND kind = OLD.kind AND outcome = OLD.outcome;
    INSERT INTO owner_totals (user_id, kind, outcome, n)
    VALUES (NEW.user_id, NEW.kind, NEW.outcome, 1)
    ON CONFLICT (user_id, kind, outcome) DO UPDATE SET n = n + 1;
END;

-- The facets of every recording once per owner, with the owner's date and
-- outcome: a facet filter (and its count, with an outcome) is one index
-- range per user, not a probe of every recording the user has. Triggers keep
-- it equal to `recording_facets` x `recording_owners` on every write path.
CREATE TABLE owner_facets (
    user_id      TEXT NOT NULL,
    recording_id TEXT NOT NULL,
    facet        TEXT NOT NULL,
    value        TEXT NOT NULL COLLATE NOCASE,
    occurred_at  INTEGER,
    outcome      TEXT NOT NULL,
    PRIMARY KEY (user_id, recording_id, facet),
    FOREIGN KEY (user_id, recording_id)
        REFERENCES recording_owners (user_id, recording_id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX owner_facets_value
    ON owner_facets (user_id, facet, value, outcome, occurred_at, recording_id);
CREATE INDEX owner_facets_recording ON owner_facets (recording_id, facet);

INSERT INTO owner_facets (user_id, recording_id, facet, value, occurred_at, outcome)
SELECT o.user_id, o.recording_id, f.facet, f.value, o.occurred_at, o.outcome
FROM recording_owners o JOIN recording_facets f ON f.recording_id = o.recording_id;

CREATE TRIGGER owner_facets_facet_added AFTER INSERT ON recording_facets
BEGIN
    INSERT INTO owner_facets (user_id, recording_id, facet, value, occurred_at, outcome)
    SELECT o.user_id, NEW.recording_id, NEW.facet, NEW.value, o.occurred_at, o.outcome
    FROM recording_owners o WHERE o.recording_id = NEW.recording_id;
END;

CREATE TRIGGER owner_facets_facet_removed AFTER DELETE ON recording_facets
BEGIN
    DELETE FROM owner_facets WHERE recording_id = OLD.recording_id AND facet = OLD.facet;
END;

CREATE TRIGGER owner_facets_facet_changed AFTER UPDATE ON recording_facets
BEGIN
    DELETE FROM owner_facets WHERE recording_id = OLD.recording_id AND facet = OLD.facet;
    INSERT INTO owner_facets (user_id, recording_id, facet, value, occurred_at, outcome)
    SELECT o.user_id, NEW.recording_id, NEW.facet, NEW.value, o.occurred_at, o.outcome
    FROM recording_owners o WHERE o.recording_id = NEW.recording_id;
END;

CREATE TRIGGER owner_facets_owner_added AFTER INSERT ON recording_owners
BEGIN
    INSERT INTO owner_facets (user_id, recording_id, facet, value, occurred_at, outcome)
    SELECT NEW.user_id, f.recording_id, f.facet, f.value, NEW.occurred_at, NEW.outcome
    FROM recording_facets f WHERE f.recording_id = NEW.recording_id;
END;

CREATE TRIGGER owner_facets_owner_changed AFTER UPDATE OF occurred_at, outcome ON recording_owners
WHEN OLD.occurred_at IS NOT NEW.occurred_at OR OLD.outcome IS NOT NEW.outcome
BEGIN
    UPDATE owner_facets SET occurred_at = NEW.occurred_at, outcome = NEW.outcome
    WHERE user_id = NEW.user_id AND recording_id = NEW.recording_id;
END;

-- A games-list row's score is two sides' metric: the sides in display order.
CREATE INDEX recording_sides_position ON recording_sides (recording_id, position);
