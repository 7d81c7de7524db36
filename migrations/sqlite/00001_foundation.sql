-- Foundation: academies (tenants) and their schools.

-- +goose Up
CREATE TABLE academies (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    code       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE schools (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    academy_id  INTEGER NOT NULL REFERENCES academies (id) ON DELETE CASCADE,
    uai         TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    departement TEXT NOT NULL DEFAULT '',
    bassin      TEXT NOT NULL DEFAULT '',
    uses_groups BOOLEAN,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE INDEX schools_academy_uai ON schools (academy_id, uai);

-- +goose Down
DROP TABLE schools;
DROP TABLE academies;
