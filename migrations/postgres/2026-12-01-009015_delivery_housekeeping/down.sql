DROP INDEX received_activities_received_at;
ALTER TABLE instances DROP COLUMN next_try_at;
