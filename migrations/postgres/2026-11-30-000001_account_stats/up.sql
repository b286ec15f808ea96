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

CREATE FUNCTION account_stats_new_account() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO account_stats (account_id) VALUES (NEW.id) ON CONFLICT (account_id) DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER account_stats_new_account AFTER INSERT ON accounts
FOR EACH ROW EXECUTE FUNCTION account_stats_new_account();

CREATE FUNCTION account_stats_status_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO account_stats (account_id, statuses_count, last_status_at)
    VALUES (NEW.account_id, CASE WHEN NEW.reblog_of_id IS NULL THEN 1 ELSE 0 END, NEW.created_at)
    ON CONFLICT (account_id) DO UPDATE SET
        statuses_count = account_stats.statuses_count + excluded.statuses_count,
        last_status_at = GREATEST(account_stats.last_status_at, excluded.last_status_at);
    RETURN NULL;
END $$;
CREATE TRIGGER account_stats_status_insert AFTER INSERT ON statuses
FOR EACH ROW EXECUTE FUNCTION account_stats_status_insert();

CREATE FUNCTION account_stats_status_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE account_stats SET statuses_count = GREATEST(statuses_count - 1, 0)
    WHERE account_id = OLD.account_id;
    RETURN NULL;
END $$;
CREATE TRIGGER account_stats_status_delete AFTER DELETE ON statuses
FOR EACH ROW WHEN (OLD.reblog_of_id IS NULL) EXECUTE FUNCTION account_stats_status_delete();

CREATE FUNCTION account_stats_follow_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    delta BIGINT;
    f follows;
BEGIN
    IF TG_OP = 'DELETE' THEN
        delta := -1; f := OLD;
    ELSE
        delta := 1; f := NEW;
    END IF;
    UPDATE account_stats SET followers_count = GREATEST(followers_count + delta, 0)
    WHERE account_id = f.target_account_id;
    UPDATE account_stats SET following_count = GREATEST(following_count + delta, 0)
    WHERE account_id = f.account_id;
    RETURN NULL;
END $$;
CREATE TRIGGER account_stats_follow_insert AFTER INSERT ON follows
FOR EACH ROW WHEN (NEW.accepted) EXECUTE FUNCTION account_stats_follow_change();
CREATE TRIGGER account_stats_follow_accept AFTER UPDATE OF accepted ON follows
FOR EACH ROW WHEN (NEW.accepted AND NOT OLD.accepted) EXECUTE FUNCTION account_stats_follow_change();
CREATE TRIGGER account_stats_follow_delete AFTER DELETE ON follows
FOR EACH ROW WHEN (OLD.accepted) EXECUTE FUNCTION account_stats_follow_change();
