-- How many analysis workers each process runs (0: a web-only process), so
-- /status can list the live worker processes from this table.
ALTER TABLE nodes ADD COLUMN workers INTEGER NOT NULL DEFAULT 0;
