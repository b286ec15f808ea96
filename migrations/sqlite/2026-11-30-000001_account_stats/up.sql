-- Per-account counters shown on every rendered account. Counting them at read time cost a scan
-- of each author's posts per status shown (thousands of rows per timeline page at a million
-- statuses). Triggers keep them, so every write path (inbox, API, cascades) updates them.
CREATE TABLE account_stats (
    account_id BIGINT PRIMARY KEY NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    statuses_count BIGINT NOT NULL DEFAULT 0,   -- posts, not boosts
    followers_count BIGINT NOT NULL DEFAULT 0,  -- accepted follows of this account
    following_count BIGINT NOT NULL DEFAULT 0,  -- accepted follows by this account
    last_status_at TIMESTAMP                    -- newest post or boost
);

INSERT INTO account_stats (account_id, statuses_count, followers_count, following_count, last_status_at)
SELECT a.id,
       (SELECT count(*) FROM statuses s WHERE s.account_id = a.id AND s.reblog_of_id IS NULL),
       (SELECT count(*) FROM follows f WHERE f.target_account_id = a.id AND f.accepted),
       (SELECT count(*) FROM follows f WHERE f.account_id = a.id AND f.accepted),
       (SELECT max(s.created_at) FROM statuses s WHERE s.account_id = a.id)
FROM accounts a;

CREATE TRIGGER account_stats_new_account AFTER INSERT ON accounts
BEGIN
    INSERT INTO account_stats (account_id) VALUES (NEW.id) ON CONFLICT (account_id) DO NOTHING;
END;

CREATE TRIGGER account_stats_status_insert AFTER INSERT ON statuses
BEGIN
    INSERT INTO account_stats (account_id, statuses_count, last_status_at)
    VALUES (NEW.account_id, CASE WHEN NEW.reblog_of_id IS NULL THEN 1 ELSE 0 END, NEW.created_at)
    ON CONFLICT (account_id) DO UPDATE SET
        statuses_count = statuses_count + excluded.statuses_count,
        last_status_at = CASE
            WHEN last_status_at IS NULL OR last_status_at < excluded.last_status_at
            THEN excluded.last_status_at ELSE last_status_at END;
END;

CREATE TRIGGER account_stats_status_delete AFTER DELETE ON statuses
WHEN OLD.reblog_of_id IS NULL
BEGIN
    UPDATE account_stats SET statuses_count = max(statuses_count - 1, 0)
    WHERE account_id = OLD.account_id;
END;

CREATE TRIGGER account_stats_follow_insert AFTER INSERT ON follows
WHEN NEW.accepted
BEGIN
    UPDATE account_stats SET followers_count = followers_count + 1 WHERE account_id = NEW.target_account_id;
    UPDATE account_stats SET following_count = following_count + 1 WHERE account_id = NEW.account_id;
END;

CREATE TRIGGER account_stats_follow_accept AFTER UPDATE OF accepted ON follows
WHEN NEW.accepted AND NOT OLD.accepted
BEGIN
    UPDATE account_stats SET followers_count = followers_count + 1 WHERE account_id = NEW.target_account_id;
    UPDATE account_stats SET following_count = following_count + 1 WHERE account_id = NEW.account_id;
END;

CREATE TRIGGER account_stats_follow_delete AFTER DELETE ON follows
WHEN OLD.accepted
BEGIN
    UPDATE account_stats SET followers_count = max(followers_count - 1, 0) WHERE account_id = OLD.target_account_id;
    UPDATE account_stats SET following_count = max(following_count - 1, 0) WHERE account_id = OLD.account_id;
END;
