-- Other servers' custom emoji, as their `Emoji` tags name them: one row per shortcode and
-- domain (the domain of the account whose post or profile carried the tag), the image kept by
-- URL. Local emoji stay in `custom_emojis`, so no remote tag can ever take a local shortcode.
CREATE TABLE remote_emojis (
    id BIGINT PRIMARY KEY NOT NULL,
    domain TEXT NOT NULL,
    shortcode TEXT NOT NULL,
    ap_id TEXT,
    image_url TEXT NOT NULL,
    media_type TEXT,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (domain, shortcode)
);

-- The remote emoji a remote status uses (its content and content warning).
CREATE TABLE status_emojis (
    status_id BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    emoji_id BIGINT NOT NULL REFERENCES remote_emojis (id) ON DELETE CASCADE,
    PRIMARY KEY (status_id, emoji_id)
);
CREATE INDEX status_emojis_emoji ON status_emojis (emoji_id);

-- The remote emoji a remote account uses (its display name and bio).
CREATE TABLE account_emojis (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    emoji_id BIGINT NOT NULL REFERENCES remote_emojis (id) ON DELETE CASCADE,
    PRIMARY KEY (account_id, emoji_id)
);
CREATE INDEX account_emojis_emoji ON account_emojis (emoji_id);
