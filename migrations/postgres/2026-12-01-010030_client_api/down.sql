DROP TABLE account_domain_blocks;
DROP TABLE mutes;
DROP TABLE markers;
DROP TABLE status_edits;
DROP TABLE status_pins;
DROP TABLE bookmarks;
