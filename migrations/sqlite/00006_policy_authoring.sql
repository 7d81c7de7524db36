-- Policy authoring: the immutable versions of an academy's policy set (its own Rego modules and
-- configuration overrides over the national defaults), the drafts authors work on, and the
-- publications (publish or rollback) that decide which version is in force: the latest
-- publication of an academy names its published version.

-- +goose Up
CREATE TABLE policy_versions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    academy_id INTEGER NOT NULL REFERENCES academies (id) ON DELETE CASCADE,
    number     INTEGER NOT NULL,                       -- 1, 2, ... per academy
    parent_id  INTEGER REFERENCES policy_versions (id), -- the version published when it was made
    author     TEXT NOT NULL,
    author_id  INTEGER,
    message    TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    national   TEXT NOT NULL,                          -- national modules it was checked with
    digest     TEXT NOT NULL,                          -- SHA-256 of files and overrides
    files      TEXT NOT NULL,                          -- JSON {path: Rego source}
    overrides  TEXT NOT NULL,                          -- JSON configuration overrides
    gates      TEXT NOT NULL DEFAULT '{}',             -- JSON: tests and coverage when made
    UNIQUE (academy_id, number)
);

CREATE TABLE policy_drafts (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    academy_id           INTEGER NOT NULL REFERENCES academies (id) ON DELETE CASCADE,
    owner                TEXT NOT NULL,
    owner_id             INTEGER,
    title                TEXT NOT NULL DEFAULT '',
    base_version_id      INTEGER REFERENCES policy_versions (id) ON DELETE SET NULL,
    files                TEXT NOT NULL,
    overrides            TEXT NOT NULL,
    revision             INTEGER NOT NULL,             -- +1 on every save
    created_at           TIMESTAMP NOT NULL,
    updated_at           TIMESTAMP NOT NULL,
    published_version_id INTEGER REFERENCES policy_versions (id) ON DELETE SET NULL,
    last_check           TEXT NOT NULL DEFAULT ''      -- JSON summary of the last check
);
CREATE INDEX policy_drafts_academy ON policy_drafts (academy_id, updated_at DESC);

CREATE TABLE policy_publications (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    academy_id   INTEGER NOT NULL REFERENCES academies (id) ON DELETE CASCADE,
    version_id   INTEGER NOT NULL REFERENCES policy_versions (id),
    action       TEXT NOT NULL,                        -- publish | rollback
    published_at TIMESTAMP NOT NULL,
    published_by TEXT NOT NULL,
    message      TEXT NOT NULL DEFAULT '',
    summary      TEXT NOT NULL DEFAULT '{}'            -- JSON: the impact preview's summary
);
CREATE INDEX policy_publications_academy ON policy_publications (academy_id, id DESC);

-- +goose Down
DROP TABLE policy_publications;
DROP TABLE policy_drafts;
DROP TABLE policy_versions;
