//! This instance's custom emoji as `Emoji` objects: the tags its Notes and actors carry for the
//! `:shortcode:`s their text uses, and the document served at `/emojis/ID`.

use crate::protocol::emoji::EmojiOut;
use chrono::{DateTime, Utc};
use kith_storage::custom_emojis::{self, CustomEmoji};
use kith_storage::{DbConn, StorageError};

/// The `Emoji` object of a local emoji; `base` is this instance's base URL (with its `/`),
/// where `/emojis/ID` and `/media/…` are served.
pub fn emoji_out(e: &CustomEmoji, base: &str) -> EmojiOut {
    EmojiOut {
        id: format!("{base}emojis/{}", e.id),
        shortcode: e.shortcode.clone(),
        url: format!("{base}{}", e.storage_key),
        media_type: e.content_type.clone(),
        updated: DateTime::from_naive_utc_and_offset(e.created_at, Utc),
    }
}

/// The `Emoji` tags for the local emoji that `texts` (a local post's content and content
/// warning, or a local account's name and bio) name, in the order first named.
pub fn local_emoji_tags(
    c: &mut DbConn,
    texts: &[&str],
    base: &str,
) -> Result<Vec<EmojiOut>, StorageError> {
    let mut codes: Vec<String> = Vec::new();
    for code in texts.iter().flat_map(|t| custom_emojis::shortcodes_in(t)) {
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    let found = custom_emojis::by_shortcodes(c, &codes)?;
    Ok(codes
        .iter()
        .filter_map(|code| found.iter().find(|e| &e.shortcode == code))
        .map(|e| emoji_out(e, base))
        .collect())
}
