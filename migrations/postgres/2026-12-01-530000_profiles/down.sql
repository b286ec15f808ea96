DROP TABLE account_preferences;
DROP TABLE featured_tags;
DROP TABLE endorsements;
DROP TABLE account_notes;
ALTER TABLE accounts DROP COLUMN fields;
