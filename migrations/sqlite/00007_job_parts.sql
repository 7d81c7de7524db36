-- Parts of a partitioned job's slot: the daily evaluation has one part per academy. Every
-- replica whose schedule fires claims parts one by one (a unique (job, slot, part) row), so
-- that several replicas share one slot and none runs a part twice; a part whose replica
-- stopped renewing its lease is taken over, like a job run.

-- +goose Up
CREATE TABLE job_parts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    job         TEXT NOT NULL,
    slot        TIMESTAMP NOT NULL,            -- the slot of the job run it belongs to
    part        TEXT NOT NULL,                 -- e.g. an academy code
    replica     TEXT NOT NULL,                 -- who runs (or ran) it
    attempt     INTEGER NOT NULL,
    status      TEXT NOT NULL,                 -- running | done | failed
    started_at  TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    lease_until TIMESTAMP NOT NULL,            -- a running part not renewed by then was abandoned
    counts      TEXT NOT NULL DEFAULT '{}',    -- JSON: what the part did
    error       TEXT NOT NULL DEFAULT '',
    UNIQUE (job, slot, part)
);

-- +goose Down
DROP TABLE job_parts;
