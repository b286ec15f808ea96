-- The code a token was issued for (its digest), so that a replayed code revokes the token it
-- gave (RFC 6749 §4.1.2). NULL for tokens not issued from a code.
ALTER TABLE oauth_tokens ADD COLUMN code_hash TEXT;
CREATE INDEX oauth_tokens_code_hash ON oauth_tokens (code_hash);

-- Recent failed logins at /oauth/authorize, one row each, for the throttle per account name and
-- per client address. Kept in the database so that every Kith process sharing it counts the same
-- failures; rows older than the throttle window are deleted as new failures come in.
CREATE TABLE login_failures (
    id BIGINT PRIMARY KEY NOT NULL,
    username TEXT NOT NULL,
    ip TEXT NOT NULL,
    failed_at TIMESTAMP NOT NULL
);
CREATE INDEX login_failures_username ON login_failures (username, failed_at);
CREATE INDEX login_failures_ip ON login_failures (ip, failed_at);
CREATE INDEX login_failures_failed_at ON login_failures (failed_at);
