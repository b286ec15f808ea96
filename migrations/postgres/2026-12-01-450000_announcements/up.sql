-- Announcements the admins write for everyone here (Mastodon's), shown by apps between
-- `starts_at` and `ends_at` (either may be open). `text` is what the admin wrote, `content`
-- its HTML (escaped text with links).
CREATE TABLE announcements (
    id BIGINT PRIMARY KEY NOT NULL,
    text TEXT NOT NULL,
    content TEXT NOT NULL,
    starts_at TIMESTAMP,
    ends_at TIMESTAMP,
    all_day BOOLEAN NOT NULL,
    published_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- Who dismissed (read) which announcement.
CREATE TABLE announcement_reads (
    announcement_id BIGINT NOT NULL REFERENCES announcements (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    PRIMARY KEY (announcement_id, account_id)
);
CREATE INDEX announcement_reads_account ON announcement_reads (account_id);

-- Emoji reactions to announcements: each person at most once per emoji.
CREATE TABLE announcement_reactions (
    announcement_id BIGINT NOT NULL REFERENCES announcements (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (announcement_id, account_id, name)
);
CREATE INDEX announcement_reactions_account ON announcement_reactions (account_id);
