-- Budgets as hard caps and the process registry.

-- The live processes sharing this database, one row per node name. A process
-- registers its name at start and refreshes heartbeat_at while it runs; a row
-- whose heartbeat is stale (or whose process is gone) belongs to a dead process,
-- and whatever it held (budget reservations, job leases) is released.
CREATE TABLE nodes (
    name         TEXT PRIMARY KEY NOT NULL,
    -- Random per process start: tells a restart under the same name from the old run.
    instance     TEXT NOT NULL,
    host         TEXT NOT NULL,
    pid          INTEGER NOT NULL,
    started_at   INTEGER NOT NULL,
    heartbeat_at INTEGER NOT NULL
);

-- Which node's call holds the reservation (NULL: made by a process that did not
-- register, released only by the age-based sweep).
ALTER TABLE budget_reservations ADD COLUMN node TEXT;
CREATE INDEX budget_reservations_node ON budget_reservations (node);

-- Tokens a provider reported beyond what the call reserved: the operator's cost,
-- never charged to the user's budget (spent grows by at most the reservation).
ALTER TABLE budget_periods ADD COLUMN overrun INTEGER NOT NULL DEFAULT 0 CHECK (overrun >= 0);
