-- The instance's own custom emoji, uploaded by admins: `:shortcode:` in local posts. The image
-- is in the media store under `storage_key` (served at `/media/…`), its type sniffed.
CREATE TABLE custom_emojis (
    id BIGINT PRIMARY KEY NOT NULL,
    shortcode TEXT NOT NULL UNIQUE,
    storage_key TEXT NOT NULL,
    content_type TEXT NOT NULL,
    category TEXT,
    visible_in_picker BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL
);
