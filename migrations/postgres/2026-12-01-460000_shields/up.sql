-- Shields (notification policy, notification requests, the dogpile shield, message requests).

-- A notification held by the recipient's policy: stored, but left out of every listing (and of
-- streaming) until the recipient accepts its request or a moderator releases it.
ALTER TABLE notifications ADD COLUMN filtered BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX notifications_held ON notifications (account_id, from_account_id, filtered);

-- A person's notification policy. Every column NULL means "the instance default" (the
-- `shield_*` rows of `instance_settings`, written from the configuration at start).
-- Policies are 'accept', 'filter' or 'drop' as Mastodon 4.3 has them.
CREATE TABLE notification_policies (
    account_id BIGINT PRIMARY KEY NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    for_not_following TEXT,
    for_not_followers TEXT,
    for_new_accounts TEXT,
    for_private_mentions TEXT,
    for_limited_accounts TEXT,
    new_account_days INTEGER,
    new_domain_days INTEGER,
    signal_many_digits BOOLEAN,
    signal_few_followers BOOLEAN,
    signal_no_avatar_bio BOOLEAN,
    dogpile_threshold INTEGER,
    dogpile_minutes INTEGER,
    message_requests BOOLEAN,
    updated_at TIMESTAMP NOT NULL
);

-- Held notifications grouped per sender, as Mastodon's notification requests.
CREATE TABLE notification_requests (
    id BIGINT PRIMARY KEY NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    from_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    last_status_id BIGINT REFERENCES statuses (id) ON DELETE SET NULL,
    notifications_count BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (account_id, from_account_id)
);

-- Senders a person let through by accepting their request: never held again.
CREATE TABLE notification_permissions (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    from_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (account_id, from_account_id)
);

-- The dogpile shield's counters: when each account the recipient does not follow last
-- mentioned or replied to them. Rows older than the window are pruned as new ones come.
CREATE TABLE dogpile_hits (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    from_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    at TIMESTAMP NOT NULL,
    PRIMARY KEY (account_id, from_account_id)
);
CREATE INDEX dogpile_hits_at ON dogpile_hits (account_id, at);

-- When this instance first saw each remote domain (a brand-new instance is a "new account" signal).
CREATE TABLE domain_first_seen (
    domain TEXT PRIMARY KEY NOT NULL,
    first_seen_at TIMESTAMP NOT NULL
);
