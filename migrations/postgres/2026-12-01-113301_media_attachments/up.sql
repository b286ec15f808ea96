-- Uploaded media. `status_id` is set when a post takes it; a deleted post leaves its media
-- unattached, and housekeeping deletes unattached media (rows and files) after a day.
CREATE TABLE media_attachments (
    id BIGINT PRIMARY KEY NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status_id BIGINT REFERENCES statuses (id) ON DELETE SET NULL,
    kind TEXT NOT NULL,
    content_type TEXT NOT NULL,
    file_key TEXT NOT NULL,
    file_size BIGINT NOT NULL,
    thumbnail_key TEXT,
    width INTEGER,
    height INTEGER,
    thumbnail_width INTEGER,
    thumbnail_height INTEGER,
    blurhash TEXT,
    description TEXT,
    focus_x DOUBLE PRECISION,
    focus_y DOUBLE PRECISION,
    position INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX media_attachments_status ON media_attachments (status_id);
CREATE INDEX media_attachments_unattached ON media_attachments (created_at) WHERE status_id IS NULL;
