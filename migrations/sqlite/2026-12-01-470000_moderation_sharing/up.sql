-- Sharing moderation across instances (docs/moderation.md): blocklist subscriptions, moderation
-- cohorts, and the provenance of every entry they bring (kith_core::shared_moderation).

-- A domain policy that exists only because of shared entries (subscriptions, cohort members)
-- is `managed`: it follows its sources and goes when they retract it. A local moderator's
-- own policy, or one they confirmed, is not.
ALTER TABLE domain_policies ADD COLUMN managed BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE blocklist_subscriptions (
    id BIGINT PRIMARY KEY NOT NULL,
    url TEXT NOT NULL UNIQUE,
    mode TEXT NOT NULL,                     -- apply | review
    created_by BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    next_fetch_at TIMESTAMP NOT NULL,       -- the refresh job claims a due row by moving this
    last_fetched_at TIMESTAMP,
    last_success_at TIMESTAMP,
    last_error TEXT,
    last_note TEXT
);

-- One entry a source gives: a subscription's list entry, or a cohort member's decision.
CREATE TABLE shared_decisions (
    id BIGINT PRIMARY KEY NOT NULL,
    source_kind TEXT NOT NULL,              -- subscription | cohort
    source_id BIGINT NOT NULL,              -- blocklist_subscriptions.id or cohort_members.id
    source_ref TEXT,                        -- the cohort activity's id
    target_kind TEXT NOT NULL,              -- domain | account
    target TEXT NOT NULL,                   -- the domain, or the account's actor id
    severity TEXT NOT NULL,                 -- suspend | silence | noop
    reject_media BOOLEAN NOT NULL DEFAULT FALSE,
    reject_reports BOOLEAN NOT NULL DEFAULT FALSE,
    comment TEXT,
    state TEXT NOT NULL,                    -- applied | pending | rejected | covered | ignored | confirmed
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (source_kind, source_id, target_kind, target)
);
CREATE INDEX shared_decisions_target ON shared_decisions (target_kind, target);

-- The other instances of this instance's moderation cohort, by their instance actor.
CREATE TABLE cohort_members (
    id BIGINT PRIMARY KEY NOT NULL,
    actor_id TEXT NOT NULL UNIQUE,
    domain TEXT NOT NULL,
    state TEXT NOT NULL,                    -- invited (by us) | invitation (to us) | member
    policy TEXT NOT NULL,                   -- apply | review | ignore
    invite_id TEXT NOT NULL,                -- the Invite activity's id
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- The last decision this instance published to its cohort about each target, to Undo it.
CREATE TABLE cohort_published (
    id BIGINT PRIMARY KEY NOT NULL,
    target_kind TEXT NOT NULL,
    target TEXT NOT NULL,
    activity TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (target_kind, target)
);

-- Reports shared by a cohort member.
CREATE TABLE cohort_reports (
    report_id BIGINT PRIMARY KEY NOT NULL,
    member_id BIGINT NOT NULL
);
