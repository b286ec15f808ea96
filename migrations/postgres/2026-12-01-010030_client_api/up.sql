-- Bookmarks: private to their owner, paged by their own id (as Mastodon does).
CREATE TABLE bookmarks (
    id BIGINT PRIMARY KEY NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status_id BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (account_id, status_id)
);
CREATE INDEX bookmarks_status ON bookmarks (status_id);

-- Posts an account pinned to its profile (its own public or unlisted posts, at most 5).
CREATE TABLE status_pins (
    id BIGINT PRIMARY KEY NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status_id BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (account_id, status_id)
);
CREATE INDEX status_pins_status ON status_pins (status_id);

-- Every earlier version of an edited status, written by `statuses::edit` (local and remote edits
-- alike) before the row is changed; `created_at` is when that version was made (the status's
-- creation or its previous edit).
CREATE TABLE status_edits (
    id BIGINT PRIMARY KEY NOT NULL,
    status_id BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    content TEXT NOT NULL,
    source_text TEXT,
    spoiler_text TEXT NOT NULL,
    sensitive BOOLEAN NOT NULL,
    attachments TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX status_edits_status ON status_edits (status_id, id);

-- Read positions in the home and notifications timelines (Mastodon's markers).
CREATE TABLE markers (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    timeline TEXT NOT NULL,
    last_read_id BIGINT NOT NULL,
    version BIGINT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (account_id, timeline)
);

-- Accounts a person mutes: their posts leave the home feed, and their notifications too unless
-- `hide_notifications` is false; `expires_at` NULL means until unmuted.
CREATE TABLE mutes (
    id BIGINT PRIMARY KEY NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    hide_notifications BOOLEAN NOT NULL,
    expires_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (account_id, target_account_id)
);

-- Whole domains a person blocks for themselves (not the instance's domain blocks).
CREATE TABLE account_domain_blocks (
    id BIGINT PRIMARY KEY NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    domain TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (account_id, domain)
);
