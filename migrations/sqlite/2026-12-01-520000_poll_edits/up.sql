-- The poll's option titles in an earlier version of an edited status (JSON array, as polls.options); NULL when it had none.
ALTER TABLE status_edits ADD COLUMN poll_options TEXT;
