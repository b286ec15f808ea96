-- Accounts: local users, remote actors and the instance actor, one row each.
CREATE TABLE accounts (
    id BIGINT PRIMARY KEY NOT NULL,
    username TEXT NOT NULL,
    domain TEXT,                       -- NULL for accounts hosted here
    ap_id TEXT NOT NULL UNIQUE,
    actor_type TEXT NOT NULL,          -- Person, Service, Application, Group, Organization
    display_name TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',     -- sanitized HTML
    avatar_url TEXT,
    header_url TEXT,
    url TEXT,
    locked BOOLEAN NOT NULL DEFAULT FALSE,
    bot BOOLEAN NOT NULL DEFAULT FALSE,
    inbox_url TEXT NOT NULL,
    shared_inbox_url TEXT,
    outbox_url TEXT,
    followers_url TEXT,
    following_url TEXT,
    public_key_id TEXT NOT NULL,
    public_key_pem TEXT NOT NULL,
    private_key_pem TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    fetched_at TIMESTAMP
);
CREATE UNIQUE INDEX accounts_local_username ON accounts (lower(username)) WHERE domain IS NULL;
CREATE UNIQUE INDEX accounts_remote_username ON accounts (lower(username), domain) WHERE domain IS NOT NULL;

-- Credentials of local accounts that people log in to.
CREATE TABLE users (
    account_id BIGINT PRIMARY KEY NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    email TEXT UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,                -- admin, moderator, user
    created_at TIMESTAMP NOT NULL,
    last_active_at TIMESTAMP           -- last sign-in or token issue; NodeInfo's active counts
);

CREATE TABLE oauth_apps (
    id BIGINT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL UNIQUE,
    client_secret TEXT NOT NULL,
    name TEXT NOT NULL,
    website TEXT,
    redirect_uris TEXT NOT NULL,       -- one per line
    scopes TEXT NOT NULL,              -- space separated
    created_at TIMESTAMP NOT NULL
);

-- Authorization codes live until used or expired; only their SHA-256 is stored.
CREATE TABLE oauth_codes (
    code_hash TEXT PRIMARY KEY NOT NULL,
    app_id BIGINT NOT NULL REFERENCES oauth_apps (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    redirect_uri TEXT NOT NULL,
    scopes TEXT NOT NULL,
    code_challenge TEXT,
    code_challenge_method TEXT,
    expires_at TIMESTAMP NOT NULL
);

-- Bearer tokens; only their SHA-256 is stored. account_id is NULL for client-credentials tokens.
CREATE TABLE oauth_tokens (
    id BIGINT PRIMARY KEY NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    app_id BIGINT REFERENCES oauth_apps (id) ON DELETE CASCADE,
    account_id BIGINT REFERENCES accounts (id) ON DELETE CASCADE,
    scopes TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
CREATE INDEX oauth_tokens_account ON oauth_tokens (account_id);
