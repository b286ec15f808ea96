-- Hashtags a person follows (names normalized as `kith_core::tags::normalize` does): public
-- posts carrying one reach their home feed.
CREATE TABLE followed_tags (
    id BIGINT PRIMARY KEY NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (account_id, name)
);
CREATE INDEX followed_tags_name ON followed_tags (name);

-- The tag timeline reads a tag's posts newest first.
CREATE INDEX status_tags_name ON status_tags (name, status_id);

-- Direct-message conversations, one row per local participant and conversation (the statuses'
-- `conversation`, or a root post's own id): the newest message, and whether it is unread.
-- Deleting the row hides the conversation until a new message comes.
CREATE TABLE account_conversations (
    id BIGINT PRIMARY KEY NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    conversation TEXT NOT NULL,
    last_status_id BIGINT NOT NULL,
    unread BOOLEAN NOT NULL,
    UNIQUE (account_id, conversation)
);
CREATE INDEX account_conversations_recent ON account_conversations (account_id, last_status_id);

-- Conversations (threads) a person muted: no notifications about their posts.
CREATE TABLE conversation_mutes (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    conversation TEXT NOT NULL,
    PRIMARY KEY (account_id, conversation)
);
