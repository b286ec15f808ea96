-- Polls: one per status at most. `options` is a JSON array of the option titles, `counts` a JSON
-- array of their vote counts (for a local poll kept equal to its `poll_votes`; for a remote one,
-- as its author's server last said, plus votes cast here since). `closed` is set once, by the
-- poll job, when `expires_at` has passed (or by a remote `closed`). `federate_at`: when the job
-- should next send a local poll's counts as `Update(Question)` (votes are batched that way).
CREATE TABLE polls (
    id BIGINT PRIMARY KEY NOT NULL,
    status_id BIGINT NOT NULL UNIQUE REFERENCES statuses (id) ON DELETE CASCADE,
    options TEXT NOT NULL,
    counts TEXT NOT NULL,
    voters_count BIGINT,
    multiple BOOLEAN NOT NULL,
    hide_totals BOOLEAN NOT NULL,
    expires_at TIMESTAMP,
    closed BOOLEAN NOT NULL,
    federate_at TIMESTAMP,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX polls_open_expiry ON polls (closed, expires_at);
CREATE INDEX polls_federate_at ON polls (federate_at);

-- One row per choice a voter made; `ap_id` is the vote's Note id (a remote voter's, or the one
-- Kith sent for a local vote on a remote poll).
CREATE TABLE poll_votes (
    id BIGINT PRIMARY KEY NOT NULL,
    poll_id BIGINT NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    choice INTEGER NOT NULL,
    ap_id TEXT,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (poll_id, account_id, choice)
);
CREATE INDEX poll_votes_account ON poll_votes (account_id);

-- Statuses to be posted later: `params` holds the request's parameters as JSON. The job claims a
-- due row by setting `claimed_until` (one process publishes it), posts it and deletes the row.
CREATE TABLE scheduled_statuses (
    id BIGINT PRIMARY KEY NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    scheduled_at TIMESTAMP NOT NULL,
    params TEXT NOT NULL,
    claimed_until TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX scheduled_statuses_due ON scheduled_statuses (scheduled_at);
CREATE INDEX scheduled_statuses_account ON scheduled_statuses (account_id, id);

-- Uploads a scheduled status will carry: kept from the unattached-upload cleanup meanwhile.
CREATE TABLE scheduled_status_media (
    scheduled_status_id BIGINT NOT NULL REFERENCES scheduled_statuses (id) ON DELETE CASCADE,
    media_id BIGINT NOT NULL REFERENCES media_attachments (id) ON DELETE CASCADE,
    PRIMARY KEY (scheduled_status_id, media_id)
);
CREATE INDEX scheduled_status_media_media ON scheduled_status_media (media_id);

-- `Idempotency-Key`s of `POST /api/v1/statuses`, per account: the first request with a key
-- claims it (`status_id` NULL while it posts), later ones within an hour get its status.
CREATE TABLE idempotency_keys (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    status_id BIGINT REFERENCES statuses (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (account_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
