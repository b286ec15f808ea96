-- Profile fields: a JSON array of {"name", "value", "raw", "verified_at"} (`value` is HTML;
-- `raw` is what a local owner typed, absent for remote actors' fields).
ALTER TABLE accounts ADD COLUMN fields TEXT NOT NULL DEFAULT '[]';

-- Private notes a person keeps on other accounts (Mastodon's `account_notes`).
CREATE TABLE account_notes (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    comment TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (account_id, target_account_id)
);
CREATE INDEX account_notes_target ON account_notes (target_account_id);

-- Endorsements ("feature on profile"). Each hangs on the endorser's follow of the account, so
-- whatever ends the follow (unfollow, block, rejection, a suspension severing follows)
-- ends the endorsement, as Mastodon does.
CREATE TABLE endorsements (
    id BIGINT PRIMARY KEY NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    follow_id BIGINT NOT NULL REFERENCES follows (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (account_id, target_account_id)
);
CREATE INDEX endorsements_target ON endorsements (target_account_id);
CREATE INDEX endorsements_follow ON endorsements (follow_id);

-- Hashtags a person features on their profile; `name` as `kith_core::tags::normalize` makes it.
CREATE TABLE featured_tags (
    id BIGINT PRIMARY KEY NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (account_id, name)
);

-- A person's posting and reading preferences; no row means the defaults.
CREATE TABLE account_preferences (
    account_id BIGINT PRIMARY KEY NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    posting_visibility TEXT NOT NULL,
    posting_sensitive BOOLEAN NOT NULL,
    posting_language TEXT,
    expand_media TEXT NOT NULL,
    expand_spoilers BOOLEAN NOT NULL
);
