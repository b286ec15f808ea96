DROP TABLE idempotency_keys;
DROP TABLE scheduled_status_media;
DROP TABLE scheduled_statuses;
DROP TABLE poll_votes;
DROP TABLE polls;
