DROP TRIGGER account_stats_follow_delete;
DROP TRIGGER account_stats_follow_accept;
DROP TRIGGER account_stats_follow_insert;
DROP TRIGGER account_stats_status_delete;
DROP TRIGGER account_stats_status_insert;
DROP TRIGGER account_stats_new_account;
DROP TABLE account_stats;
