DROP TABLE markers;
DROP TABLE status_edits;
DROP TABLE status_pins;
DROP TABLE bookmarks;
