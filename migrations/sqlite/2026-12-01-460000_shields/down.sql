DROP TABLE domain_first_seen;
DROP TABLE dogpile_hits;
DROP TABLE notification_permissions;
DROP TABLE notification_requests;
DROP TABLE notification_policies;
DROP INDEX notifications_held;
ALTER TABLE notifications DROP COLUMN filtered;
