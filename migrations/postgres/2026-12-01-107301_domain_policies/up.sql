-- Moderation across instances: what this instance does about other servers (Mastodon's
-- domain_blocks, here with severity `noop` too) and, for the allow-list federation mode, which
-- servers it federates with. `domain` is a lower-case host, or host:port; a policy also covers
-- the host's subdomains and any port (see kith_core::domain_policy).
CREATE TABLE domain_policies (
    id BIGINT PRIMARY KEY NOT NULL,
    domain TEXT NOT NULL UNIQUE,
    severity TEXT NOT NULL,                 -- suspend | silence | noop
    reject_media BOOLEAN NOT NULL DEFAULT FALSE,
    reject_reports BOOLEAN NOT NULL DEFAULT FALSE,
    private_comment TEXT,
    public_comment TEXT,
    obfuscate BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE domain_allows (
    id BIGINT PRIMARY KEY NOT NULL,
    domain TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL
);
