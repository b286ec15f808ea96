DROP TABLE invites;
DROP TABLE account_warnings;
DROP TABLE account_moderation;
DROP TABLE report_notes;
DROP TABLE reports;
DROP TABLE audit_log;
