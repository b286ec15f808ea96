-- Hosts marked unreachable are tried again only from this time on, one delivery at a time.
ALTER TABLE instances ADD COLUMN next_try_at TIMESTAMP;
-- Received activity ids are pruned by age.
CREATE INDEX received_activities_received_at ON received_activities (received_at);
