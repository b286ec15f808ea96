-- Reports received from other servers as `Flag` activities (Mastodon's and Misskey's shapes),
-- attributed to the sending server, kept until the reports queue (`reports`) takes them over.
-- `account_id` is the local account reported, if the Flag names one here (directly or as the
-- author of a named local status); a Flag naming nothing local is kept with NULL there and
-- never acts by itself. `object_uris` is the JSON array of everything the Flag named.
CREATE TABLE received_flags (
    id BIGINT PRIMARY KEY NOT NULL,
    ap_id TEXT NOT NULL UNIQUE,
    origin_domain TEXT NOT NULL,
    actor_ap_id TEXT NOT NULL,
    account_id BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    status_ids TEXT NOT NULL,
    object_uris TEXT NOT NULL,
    comment TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
