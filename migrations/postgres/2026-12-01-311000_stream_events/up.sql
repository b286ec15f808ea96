-- Kept for a schema identical on both backends; PostgreSQL sends streaming events with
-- NOTIFY (channel `kith_stream`) in the writing transaction and never uses this table.
CREATE TABLE stream_events (
    id BIGSERIAL PRIMARY KEY,
    payload TEXT NOT NULL
);
