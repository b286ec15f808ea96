-- Request counters for the client-API rate limits: one row per bucket (a token, an account or
-- an address, for one kind of request), counting the hits of its current fixed window.
CREATE TABLE rate_limits (
    bucket TEXT PRIMARY KEY NOT NULL,
    window_start BIGINT NOT NULL,
    hits BIGINT NOT NULL
);
CREATE INDEX rate_limits_window_start ON rate_limits (window_start);
