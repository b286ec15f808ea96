-- Moderation inside an instance: the audit log, reports and their notes, the moderation state
-- of accounts, warnings sent to accounts, and invites.

-- Every moderator and admin action: who (account_id), what (action), on what (target_type,
-- target_id: an id, or a domain for domain policies), why (reason), when.
CREATE TABLE audit_log (
    id BIGINT PRIMARY KEY NOT NULL,
    account_id BIGINT NOT NULL,
    action TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id TEXT NOT NULL,
    reason TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX audit_log_by_account ON audit_log (account_id, id);

-- A report about an account (and some of its statuses). `account_id` is the reporter: a local
-- user, or for a report received as a Flag, the sending instance's actor (`origin_domain` is
-- then that instance's domain). `status_ids` and `rule_ids` are space-separated ids.
CREATE TABLE reports (
    id BIGINT PRIMARY KEY NOT NULL,
    account_id BIGINT NOT NULL,
    target_account_id BIGINT NOT NULL,
    status_ids TEXT NOT NULL,
    category TEXT NOT NULL,
    comment TEXT NOT NULL,
    rule_ids TEXT NOT NULL,
    forward BOOLEAN NOT NULL,
    origin_domain TEXT,
    ap_id TEXT,
    assigned_account_id BIGINT,
    action_taken_at TIMESTAMP,
    action_taken_by_account_id BIGINT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX reports_by_target ON reports (target_account_id, id);
CREATE INDEX reports_by_reporter ON reports (account_id, id);

-- Moderators' notes on a report.
CREATE TABLE report_notes (
    id BIGINT PRIMARY KEY NOT NULL,
    report_id BIGINT NOT NULL,
    account_id BIGINT NOT NULL,
    content TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX report_notes_by_report ON report_notes (report_id, id);

-- The moderation state of an account (a row only once something was set). `approved` is false
-- for a sign-up waiting for approval, whose reason is `sign_up_reason`. A deleted local account
-- keeps its row (suspended, `deleted_at` set) and its keys, so that its `Delete` can be signed
-- and its name is never taken again; everything else it had is removed.
CREATE TABLE account_moderation (
    account_id BIGINT PRIMARY KEY NOT NULL,
    silenced_at TIMESTAMP,
    suspended_at TIMESTAMP,
    sensitized_at TIMESTAMP,
    disabled_at TIMESTAMP,
    deleted_at TIMESTAMP,
    approved BOOLEAN NOT NULL,
    sign_up_reason TEXT
);
CREATE INDEX account_moderation_silenced ON account_moderation (silenced_at);
CREATE INDEX account_moderation_suspended ON account_moderation (suspended_at);

-- A moderation action taken against an account, as the account sees it (Mastodon's
-- AccountWarning): `action` is none/disable/mark_statuses_as_sensitive/delete_statuses/
-- sensitive/silence/suspend.
CREATE TABLE account_warnings (
    id BIGINT PRIMARY KEY NOT NULL,
    account_id BIGINT NOT NULL,
    target_account_id BIGINT NOT NULL,
    action TEXT NOT NULL,
    text TEXT NOT NULL,
    report_id BIGINT,
    status_ids TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX account_warnings_by_target ON account_warnings (target_account_id, id);

-- Invite codes for invite-only registration.
CREATE TABLE invites (
    id BIGINT PRIMARY KEY NOT NULL,
    code TEXT NOT NULL UNIQUE,
    account_id BIGINT NOT NULL,
    max_uses INTEGER,
    uses INTEGER NOT NULL,
    expires_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
