-- Uploads still being processed (`POST /api/v2/media` answered 202): the original file's key,
-- and until when the process working on it holds it (after that another process takes it over).
CREATE TABLE media_processing (
    media_id BIGINT PRIMARY KEY NOT NULL REFERENCES media_attachments (id) ON DELETE CASCADE,
    original_key TEXT NOT NULL,
    claimed_until TIMESTAMP NOT NULL
);
CREATE INDEX media_processing_claimed ON media_processing (claimed_until);
