-- Accounts (local and OIDC), grants of roles per academy, sessions, personal API tokens,
-- pending OIDC logins, the audit log and exemptions of checks.

-- +goose Up
CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    login         TEXT NOT NULL UNIQUE,   -- lower case
    name          TEXT NOT NULL DEFAULT '',
    email         TEXT NOT NULL DEFAULT '', -- lower case; '' when unknown
    password_hash TEXT NOT NULL DEFAULT '', -- argon2id PHC string; '' for OIDC-only accounts
    disabled_at   TIMESTAMP,
    last_login_at TIMESTAMP,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);
CREATE INDEX users_email ON users (email);

CREATE TABLE grants (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    academy_id INTEGER REFERENCES academies (id) ON DELETE CASCADE, -- NULL for platform_admin
    role       TEXT NOT NULL,            -- supervisor | policy_author | school_admin | platform_admin
    uais       TEXT NOT NULL DEFAULT '', -- school_admin: comma-separated UAIs
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX grants_user ON grants (user_id);

CREATE TABLE user_identities (
    issuer     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (issuer, subject)
);

CREATE TABLE sessions (
    id_hash      TEXT PRIMARY KEY,        -- SHA-256 of the session id; the id itself is only in the cookie
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    method       TEXT NOT NULL,           -- password | oidc
    created_at   TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL,
    ip           TEXT NOT NULL DEFAULT '',
    user_agent   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,           -- first characters, to recognise a token in a list
    hash         TEXT NOT NULL UNIQUE,    -- SHA-256 of the token
    scopes       TEXT NOT NULL,           -- comma-separated: read, write, or action names
    created_at   TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at   TIMESTAMP
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE login_flows (
    state_hash TEXT PRIMARY KEY,          -- SHA-256 of the OAuth2 state
    verifier   TEXT NOT NULL,             -- PKCE code verifier
    nonce      TEXT NOT NULL,
    return_to  TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TIMESTAMP NOT NULL,
    academy_id  INTEGER,                   -- NULL for platform-wide entries
    uai         TEXT NOT NULL DEFAULT '',
    actor_id    INTEGER,                   -- NULL for Vigie itself
    actor       TEXT NOT NULL,            -- login, or 'system'
    action      TEXT NOT NULL,            -- e.g. exemption.approve
    target_type TEXT NOT NULL,
    target_id   TEXT NOT NULL DEFAULT '',
    before_json TEXT NOT NULL DEFAULT '',
    after_json  TEXT NOT NULL DEFAULT '',
    request_id  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_academy_time ON audit_log (academy_id, at DESC);

CREATE TABLE exemptions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    academy_id INTEGER NOT NULL REFERENCES academies (id) ON DELETE CASCADE,
    uai        TEXT NOT NULL,
    check_id   TEXT NOT NULL,
    reason     TEXT NOT NULL,
    until      TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP,
    revoked_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX exemptions_academy ON exemptions (academy_id, uai, check_id);

-- The school list filters on a check's outcome in the latest results.
CREATE INDEX check_results_check ON check_results (academy_id, check_id, status);

-- +goose Down
DROP INDEX check_results_check;
DROP TABLE exemptions;
DROP TABLE audit_log;
DROP TABLE login_flows;
DROP TABLE api_tokens;
DROP TABLE sessions;
DROP TABLE user_identities;
DROP TABLE grants;
DROP TABLE users;
