-- Streaming events waiting for this process's streaming hub (SQLite only: one process, so
-- the hub reads them after each commit and deletes what it has read). PostgreSQL sends the
-- same events with NOTIFY instead and never uses this table.
CREATE TABLE stream_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    payload TEXT NOT NULL
);
