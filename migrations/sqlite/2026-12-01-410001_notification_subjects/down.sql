ALTER TABLE notifications DROP COLUMN subject_id;
