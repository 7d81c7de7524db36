-- Campaign tracking (calendars and deadlines per academy and school year, the state of each
-- school's 13 steps with its history, attestations, handover forecasts), scheduled job runs
-- (one record per job and slot across replicas) and notifications (preferences, what was sent).

-- +goose Up
CREATE TABLE campaigns (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    academy_id    INTEGER NOT NULL REFERENCES academies (id) ON DELETE CASCADE,
    school_year   INTEGER NOT NULL,            -- 2026 for 2026-2027
    starts_on     TEXT NOT NULL,               -- YYYY-MM-DD: start of the school year
    handover_time TEXT NOT NULL,               -- HH:MM, Paris: the GAR receives the ENT directory
    copied_from   INTEGER,                     -- school year whose calendar this one started from
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    updated_by    TEXT NOT NULL,
    UNIQUE (academy_id, school_year)
);

CREATE TABLE campaign_deadlines (
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    step        INTEGER NOT NULL,              -- 1 to 13
    due_on      TEXT NOT NULL,                 -- YYYY-MM-DD: late from the next day, Paris
    updated_at  TIMESTAMP NOT NULL,
    updated_by  TEXT NOT NULL,
    PRIMARY KEY (campaign_id, step)
);

CREATE TABLE attestations (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    academy_id     INTEGER NOT NULL REFERENCES academies (id) ON DELETE CASCADE,
    uai            TEXT NOT NULL,
    school_year    INTEGER NOT NULL,
    step           INTEGER NOT NULL,
    attested_by    TEXT NOT NULL,
    attested_at    TIMESTAMP NOT NULL,
    comment        TEXT NOT NULL DEFAULT '',
    expired_at     TIMESTAMP,                -- a newer fact contradicted it
    expired_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX attestations_school ON attestations (academy_id, uai, school_year, step);

CREATE TABLE step_states (
    academy_id     INTEGER NOT NULL REFERENCES academies (id) ON DELETE CASCADE,
    uai            TEXT NOT NULL,
    school_year    INTEGER NOT NULL,
    step           INTEGER NOT NULL,
    state          TEXT NOT NULL,              -- not_started | in_progress | done | blocked | late
    progress       TEXT NOT NULL,              -- not_started | in_progress | done
    source         TEXT NOT NULL,              -- fact | attestation | none
    evidence       TEXT NOT NULL DEFAULT '',
    evidence_at    TIMESTAMP,
    attestation_id INTEGER,
    blocked_by     INTEGER NOT NULL DEFAULT 0,
    due_on         TEXT NOT NULL DEFAULT '',
    overdue        BOOLEAN NOT NULL DEFAULT 0,
    since          TIMESTAMP NOT NULL,       -- when the state last changed
    updated_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (academy_id, uai, school_year, step)
);
CREATE INDEX step_states_academy ON step_states (academy_id, school_year, step, state);

-- One row each time a step's state changes: the state at any date stays queryable
-- (year-over-year view).
CREATE TABLE step_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    academy_id  INTEGER NOT NULL REFERENCES academies (id) ON DELETE CASCADE,
    uai         TEXT NOT NULL,
    school_year INTEGER NOT NULL,
    step        INTEGER NOT NULL,
    state       TEXT NOT NULL,
    source      TEXT NOT NULL,
    evidence    TEXT NOT NULL DEFAULT '',
    blocked_by  INTEGER NOT NULL DEFAULT 0,
    at          TIMESTAMP NOT NULL
);
CREATE INDEX step_events_school ON step_events (academy_id, uai, school_year, step, at);

CREATE TABLE forecasts (
    academy_id        INTEGER NOT NULL REFERENCES academies (id) ON DELETE CASCADE,
    uai               TEXT NOT NULL,
    computed_at       TIMESTAMP NOT NULL,
    status            TEXT NOT NULL DEFAULT '', -- readiness status of the latest report
    outcome           TEXT NOT NULL,            -- green | on_track | will_fail | unknown
    target_at         TIMESTAMP NOT NULL,     -- the handover the forecast is about
    green_next        BOOLEAN NOT NULL DEFAULT 0,
    earliest_green_at TIMESTAMP,
    reason            TEXT NOT NULL DEFAULT '',
    items             TEXT NOT NULL DEFAULT '[]', -- JSON: the open problems and their delays
    PRIMARY KEY (academy_id, uai)
);

CREATE TABLE job_runs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    job         TEXT NOT NULL,
    slot        TIMESTAMP NOT NULL,          -- the scheduled time the run is for
    replica     TEXT NOT NULL,                 -- who runs (or ran) it
    attempt     INTEGER NOT NULL,
    status      TEXT NOT NULL,                 -- running | done | failed
    started_at  TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    lease_until TIMESTAMP NOT NULL,          -- a running record not renewed by then was abandoned
    counts      TEXT NOT NULL DEFAULT '{}',    -- JSON: what the run did
    error       TEXT NOT NULL DEFAULT '',
    UNIQUE (job, slot)
);
CREATE INDEX job_runs_time ON job_runs (started_at DESC);
CREATE INDEX job_runs_lease ON job_runs (status, lease_until);

CREATE TABLE notification_prefs (
    user_id           INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    email_enabled     BOOLEAN NOT NULL,
    repeat_days       INTEGER NOT NULL,        -- an unchanged open item is repeated at most this often
    unsubscribe_token TEXT NOT NULL UNIQUE,    -- in the e-mails' unsubscribe link
    updated_at        TIMESTAMP NOT NULL
);

-- What each user was last told about each item: new or changed items are sent, unchanged
-- ones only every repeat_days.
CREATE TABLE notified_items (
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    item_key      TEXT NOT NULL,
    fingerprint   TEXT NOT NULL,
    first_sent_at TIMESTAMP NOT NULL,
    last_sent_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, item_key)
);

CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    kind       TEXT NOT NULL,                  -- school_digest | supervisor_digest | webhook
    academy_id INTEGER REFERENCES academies (id) ON DELETE CASCADE,
    user_id    INTEGER,
    recipient  TEXT NOT NULL,                  -- e-mail address or webhook URL
    slot       TIMESTAMP NOT NULL,           -- the job slot that sent it
    subject    TEXT NOT NULL DEFAULT '',
    items      INTEGER NOT NULL DEFAULT 0,
    status     TEXT NOT NULL,                  -- sent | failed
    error      TEXT NOT NULL DEFAULT '',
    sent_at    TIMESTAMP NOT NULL,
    UNIQUE (kind, recipient, slot)
);
CREATE INDEX notifications_time ON notifications (sent_at DESC);

-- +goose Down
DROP TABLE notifications;
DROP TABLE notified_items;
DROP TABLE notification_prefs;
DROP TABLE job_runs;
DROP TABLE forecasts;
DROP TABLE step_events;
DROP TABLE step_states;
DROP TABLE attestations;
DROP TABLE campaign_deadlines;
DROP TABLE campaigns;
