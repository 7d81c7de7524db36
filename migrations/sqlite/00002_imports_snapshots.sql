-- Imported export files, the facts read from them per school, and fact snapshots.

-- +goose Up
CREATE TABLE imports (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    academy_id       INTEGER NOT NULL REFERENCES academies (id) ON DELETE CASCADE,
    uai              TEXT,                 -- NULL for an academy-wide file (the AAF feed)
    kind             TEXT NOT NULL,        -- fact.Source, or '' when the file was not recognised
    file_name        TEXT NOT NULL,
    size_bytes       INTEGER NOT NULL,
    sha256           TEXT NOT NULL,
    school_year      INTEGER,
    exported_at      TIMESTAMP,
    export_time_from TEXT NOT NULL DEFAULT '',
    imported_at      TIMESTAMP NOT NULL,
    imported_by      TEXT NOT NULL,
    outcome          TEXT NOT NULL,        -- accepted | rejected
    error            TEXT NOT NULL DEFAULT '',
    warnings         TEXT NOT NULL DEFAULT '[]',
    schools          INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX imports_academy_time ON imports (academy_id, imported_at DESC);
CREATE INDEX imports_school_time ON imports (academy_id, uai, imported_at DESC);
CREATE UNIQUE INDEX imports_accepted_once ON imports (academy_id, kind, sha256, file_name) WHERE outcome = 'accepted';

CREATE TABLE import_blobs (
    import_id INTEGER PRIMARY KEY REFERENCES imports (id) ON DELETE CASCADE,
    encoding  TEXT NOT NULL,
    content   BLOB NOT NULL
);

CREATE TABLE import_parts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    import_id    INTEGER NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    academy_id   INTEGER NOT NULL REFERENCES academies (id) ON DELETE CASCADE,
    uai          TEXT NOT NULL,
    kind         TEXT NOT NULL,
    school_year  INTEGER NOT NULL,
    exported_at  TIMESTAMP NOT NULL,
    imported_at  TIMESTAMP NOT NULL,
    part_version INTEGER NOT NULL,
    part         BLOB NOT NULL            -- gzip JSON of the reader's part
);
CREATE INDEX import_parts_latest ON import_parts (academy_id, uai, kind, school_year, exported_at DESC);
CREATE INDEX import_parts_import ON import_parts (import_id);

CREATE TABLE snapshots (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    academy_id     INTEGER NOT NULL REFERENCES academies (id) ON DELETE CASCADE,
    uai            TEXT NOT NULL,
    school_year    INTEGER NOT NULL,
    as_of          TIMESTAMP NOT NULL,
    created_at     TIMESTAMP NOT NULL,
    schema_version INTEGER NOT NULL,
    sources        TEXT NOT NULL,          -- JSON: per source, file, export and import times
    facts          BLOB NOT NULL          -- gzip JSON of fact.Snapshot
);
CREATE INDEX snapshots_school_time ON snapshots (academy_id, uai, created_at DESC);

-- +goose Down
DROP TABLE snapshots;
DROP TABLE import_parts;
DROP TABLE import_blobs;
DROP TABLE imports;
