-- One row that the write flusher updates with a synchronous commit. Writes commit with
-- synchronous_commit = off; callers are answered only after a later synchronous commit (this
-- row's update) has flushed the WAL past theirs, so many writes share one flush.
CREATE TABLE wal_barrier (
    id INTEGER PRIMARY KEY NOT NULL,
    flushes BIGINT NOT NULL
);
INSERT INTO wal_barrier (id, flushes) VALUES (1, 0);
