-- Issue 9: re-analysis. A job is either an upload's analysis or a
-- re-analysis queued because the domain's analysis revision changed (or by
-- `filmroom reanalyze`). Re-analyses are claimed after every waiting upload,
-- do not count against the upload queue limit, and are not shown as a
-- recording's upload state.
ALTER TABLE jobs ADD COLUMN purpose TEXT NOT NULL DEFAULT 'upload'
    CHECK (purpose IN ('upload', 'reanalysis'));
CREATE INDEX jobs_recording_purpose ON jobs (recording_id, purpose, created_at);
