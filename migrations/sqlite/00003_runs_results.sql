-- Evaluation runs and their results per school and per check.

-- +goose Up
CREATE TABLE runs (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    academy_id     INTEGER NOT NULL REFERENCES academies (id) ON DELETE CASCADE,
    uai            TEXT,                 -- NULL for a run over the whole academy
    trigger        TEXT NOT NULL,        -- schedule | manual | import | demo
    requested_by   TEXT NOT NULL,
    policy_version TEXT NOT NULL,
    started_at     TIMESTAMP NOT NULL,
    finished_at    TIMESTAMP,
    status         TEXT NOT NULL,        -- running | done | failed
    schools        INTEGER NOT NULL DEFAULT 0,
    ready          INTEGER NOT NULL DEFAULT 0,
    at_risk        INTEGER NOT NULL DEFAULT 0,
    not_ready      INTEGER NOT NULL DEFAULT 0,
    errors         INTEGER NOT NULL DEFAULT 0,
    error          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX runs_academy_time ON runs (academy_id, started_at DESC);

CREATE TABLE results (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id         INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    academy_id     INTEGER NOT NULL REFERENCES academies (id) ON DELETE CASCADE,
    uai            TEXT NOT NULL,
    snapshot_id    INTEGER,
    policy_version TEXT NOT NULL,
    evaluated_at   TIMESTAMP NOT NULL,
    final          BOOLEAN NOT NULL DEFAULT FALSE,
    status         TEXT NOT NULL,        -- ready | at_risk | not_ready
    blockers       INTEGER NOT NULL,     -- failing blocker checks
    errors         INTEGER NOT NULL,     -- failing error checks
    warnings       INTEGER NOT NULL,     -- failing warning checks
    unknown        INTEGER NOT NULL,     -- unknown or error checks
    todo           INTEGER NOT NULL,
    pupils_affected INTEGER NOT NULL DEFAULT 0,
    report         BLOB NOT NULL        -- gzip JSON of the report, every item
);
CREATE INDEX results_run ON results (run_id);
CREATE INDEX results_latest ON results (academy_id, final, uai, id DESC);
CREATE INDEX results_school_time ON results (academy_id, uai, evaluated_at DESC);

CREATE TABLE check_results (
    result_id    INTEGER NOT NULL REFERENCES results (id) ON DELETE CASCADE,
    run_id       INTEGER NOT NULL,
    academy_id   INTEGER NOT NULL,
    uai          TEXT NOT NULL,
    check_id     TEXT NOT NULL,
    status       TEXT NOT NULL,          -- pass | fail | unknown | error | exempt | monitor
    severity     TEXT NOT NULL,
    items        INTEGER NOT NULL,
    PRIMARY KEY (result_id, check_id)
);
CREATE INDEX check_results_run ON check_results (run_id, check_id, status);

-- +goose Down
DROP TABLE check_results;
DROP TABLE results;
DROP TABLE runs;
