ALTER TABLE status_edits DROP COLUMN poll_options;
