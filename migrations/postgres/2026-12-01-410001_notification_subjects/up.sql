-- What an admin.report or moderation_warning notification is about: the report's or the
-- warning's id (Mastodon's Notification carries the report or the AccountWarning).
ALTER TABLE notifications ADD COLUMN subject_id BIGINT;
