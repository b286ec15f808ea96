-- Sessions of the moderators' web console (`/admin`). The browser holds a random secret in
-- an HttpOnly cookie; only its SHA-256 digest is stored here (`secret_hash`), so a copy of the
-- database signs no one in. `csrf_token` is the per-session token every console form carries.
-- `flash` is a one-off message for the next page (set by a form, cleared when shown). Kept in
-- the database so that every Kith process sharing it knows every session.
CREATE TABLE console_sessions (
    secret_hash TEXT PRIMARY KEY NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    flash TEXT,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX console_sessions_by_account ON console_sessions (account_id);
CREATE INDEX console_sessions_by_expiry ON console_sessions (expires_at);
