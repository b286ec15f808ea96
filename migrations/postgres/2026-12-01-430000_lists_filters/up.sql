-- Lists: a person's named sets of accounts they follow, each with its own timeline (read at
-- request time from the members' posts). `replies_policy` is Mastodon's followed/list/none;
-- `exclusive` keeps members' posts out of the owner's home timeline.
CREATE TABLE lists (
    id BIGINT PRIMARY KEY NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    replies_policy TEXT NOT NULL,
    exclusive BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX lists_account ON lists (account_id, id);

-- A list's members. Each hangs on the owner's follow (or follow request) of the member, so
-- whatever ends the follow (unfollow, block, rejection, a suspension severing follows,
-- account deletion) takes the account out of the owner's lists, as Mastodon does.
CREATE TABLE list_accounts (
    id BIGINT PRIMARY KEY NOT NULL,
    list_id BIGINT NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    follow_id BIGINT NOT NULL REFERENCES follows (id) ON DELETE CASCADE,
    UNIQUE (list_id, account_id)
);
CREATE INDEX list_accounts_account ON list_accounts (account_id);
CREATE INDEX list_accounts_follow ON list_accounts (follow_id);

-- Filters (Mastodon's v2 custom filters): `context` is a comma-separated subset of
-- home,notifications,public,thread,account; `filter_action` warn, hide or blur;
-- `expires_at` NULL means never.
CREATE TABLE filters (
    id BIGINT PRIMARY KEY NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    context TEXT NOT NULL,
    filter_action TEXT NOT NULL,
    expires_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX filters_account ON filters (account_id, id);

CREATE TABLE filter_keywords (
    id BIGINT PRIMARY KEY NOT NULL,
    filter_id BIGINT NOT NULL REFERENCES filters (id) ON DELETE CASCADE,
    keyword TEXT NOT NULL,
    whole_word BOOLEAN NOT NULL
);
CREATE INDEX filter_keywords_filter ON filter_keywords (filter_id, id);

CREATE TABLE filter_statuses (
    id BIGINT PRIMARY KEY NOT NULL,
    filter_id BIGINT NOT NULL REFERENCES filters (id) ON DELETE CASCADE,
    status_id BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    UNIQUE (filter_id, status_id)
);
CREATE INDEX filter_statuses_status ON filter_statuses (status_id);
