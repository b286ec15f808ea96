-- Posts, local and remote. Boosts are rows too, with reblog_of_id set and empty content.
CREATE TABLE statuses (
    id BIGINT PRIMARY KEY NOT NULL,
    ap_id TEXT NOT NULL UNIQUE,
    url TEXT,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    local BOOLEAN NOT NULL,
    visibility TEXT NOT NULL,              -- public, unlisted, private, direct
    in_reply_to_id BIGINT,                 -- the parent's row, when we have it
    in_reply_to_ap_id TEXT,
    in_reply_to_account_id BIGINT,
    reblog_of_id BIGINT REFERENCES statuses (id) ON DELETE CASCADE,
    content TEXT NOT NULL,                 -- sanitized HTML
    source_text TEXT,                      -- what a local author typed
    spoiler_text TEXT NOT NULL DEFAULT '',
    sensitive BOOLEAN NOT NULL DEFAULT 0,
    language TEXT,
    conversation TEXT,                     -- context/conversation URI
    attachments TEXT NOT NULL DEFAULT '[]', -- remote media by URL, as a JSON list
    created_at TIMESTAMP NOT NULL,
    edited_at TIMESTAMP
);
CREATE INDEX statuses_account ON statuses (account_id, id);
CREATE INDEX statuses_reply ON statuses (in_reply_to_id);
CREATE INDEX statuses_reply_ap ON statuses (in_reply_to_ap_id);
CREATE INDEX statuses_reblog ON statuses (reblog_of_id);
CREATE INDEX statuses_public ON statuses (visibility, local, id);

-- Who a status is addressed to by name (mentions, direct recipients): visibility reads these.
CREATE TABLE status_mentions (
    status_id BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    PRIMARY KEY (status_id, account_id)
);
CREATE INDEX status_mentions_account ON status_mentions (account_id);

CREATE TABLE status_tags (
    status_id BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    PRIMARY KEY (status_id, name)
);

-- Accepted follows, and follow requests waiting for a locked account (or for a remote Accept).
CREATE TABLE follows (
    id BIGINT PRIMARY KEY NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    ap_id TEXT NOT NULL,
    accepted BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (account_id, target_account_id)
);
CREATE INDEX follows_target ON follows (target_account_id, accepted);
CREATE INDEX follows_ap ON follows (ap_id);

CREATE TABLE favourites (
    id BIGINT PRIMARY KEY NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status_id BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    ap_id TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (account_id, status_id)
);
CREATE INDEX favourites_status ON favourites (status_id);

CREATE TABLE blocks (
    id BIGINT PRIMARY KEY NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    ap_id TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (account_id, target_account_id)
);

CREATE TABLE notifications (
    id BIGINT PRIMARY KEY NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    from_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,                    -- follow, follow_request, mention, favourite, reblog, update
    status_id BIGINT REFERENCES statuses (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX notifications_account ON notifications (account_id, id);

-- The home timeline, materialized at write time: reads stay one index range at any size.
CREATE TABLE home_feed (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status_id BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    PRIMARY KEY (account_id, status_id)
);

-- Activities already applied, by id, so a redelivery is acknowledged and not applied twice.
CREATE TABLE received_activities (
    ap_id TEXT PRIMARY KEY NOT NULL,
    received_at TIMESTAMP NOT NULL
);

-- The persistent outbox: each activity once, and one delivery row per remote inbox.
CREATE TABLE outbox_activities (
    id BIGINT PRIMARY KEY NOT NULL,
    ap_id TEXT NOT NULL UNIQUE,
    actor_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    body TEXT NOT NULL,                    -- the signed request body, serialized once
    created_at TIMESTAMP NOT NULL
);
CREATE TABLE deliveries (
    id BIGINT PRIMARY KEY NOT NULL,
    activity_id BIGINT NOT NULL REFERENCES outbox_activities (id) ON DELETE CASCADE,
    inbox_url TEXT NOT NULL,
    host TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    locked_until TIMESTAMP,
    last_error TEXT,
    UNIQUE (activity_id, inbox_url)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at);

-- Per-host delivery health.
CREATE TABLE instances (
    host TEXT PRIMARY KEY NOT NULL,
    failing_since TIMESTAMP,
    unreachable BOOLEAN NOT NULL DEFAULT 0,
    last_success_at TIMESTAMP
);
