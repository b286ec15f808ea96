//! Custom emoji: the local ones admins upload (their image in the media store under
//! `storage_key`), found in text by `:shortcode:`.

use crate::pool::DbConn;
use crate::schema::custom_emojis;
use crate::StorageError;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// One local custom emoji.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = custom_emojis)]
pub struct CustomEmoji {
    pub id: i64,
    pub shortcode: String,
    /// The image's key in the media store (served at `/media/…`).
    pub storage_key: String,
    /// Its type, sniffed from its bytes.
    pub content_type: String,
    pub category: Option<String>,
    pub visible_in_picker: bool,
    pub created_at: NaiveDateTime,
}

/// Stores a new emoji.
pub fn insert(conn: &mut DbConn, e: &CustomEmoji) -> Result<(), StorageError> {
    diesel::insert_into(custom_emojis::table)
        .values(e)
        .execute(conn)?;
    Ok(())
}

/// The emoji with this shortcode (exactly; shortcodes are case-sensitive, as in Mastodon).
pub fn by_shortcode(conn: &mut DbConn, shortcode: &str) -> Result<CustomEmoji, StorageError> {
    Ok(custom_emojis::table
        .filter(custom_emojis::shortcode.eq(shortcode))
        .select(CustomEmoji::as_select())
        .first(conn)?)
}

/// The emoji with this id.
pub fn by_id(conn: &mut DbConn, id: i64) -> Result<CustomEmoji, StorageError> {
    Ok(custom_emojis::table
        .filter(custom_emojis::id.eq(id))
        .select(CustomEmoji::as_select())
        .first(conn)?)
}

/// Every emoji, by shortcode.
pub fn all(conn: &mut DbConn) -> Result<Vec<CustomEmoji>, StorageError> {
    Ok(custom_emojis::table
        .order(custom_emojis::shortcode.asc())
        .select(CustomEmoji::as_select())
        .load(conn)?)
}

/// The emoji among these shortcodes.
pub fn by_shortcodes(
    conn: &mut DbConn,
    shortcodes: &[String],
) -> Result<Vec<CustomEmoji>, StorageError> {
    if shortcodes.is_empty() {
        return Ok(Vec::new());
    }
    Ok(custom_emojis::table
        .filter(custom_emojis::shortcode.eq_any(shortcodes))
        .select(CustomEmoji::as_select())
        .load(conn)?)
}

/// Deletes the emoji with this shortcode, returning it.
pub fn delete(conn: &mut DbConn, shortcode: &str) -> Result<CustomEmoji, StorageError> {
    let found = by_shortcode(conn, shortcode)?;
    diesel::delete(custom_emojis::table.filter(custom_emojis::id.eq(found.id))).execute(conn)?;
    Ok(found)
}

/// The `:shortcode:`s in `text`, each once, in order: 2 to 64 letters, digits or `_` between
/// colons, not inside a word (so `12:30:45` has none), as Mastodon finds them.
pub fn shortcodes_in(text: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut from = 0;
    while let Some(offset) = text[from..].find(':') {
        let start = from + offset;
        let before_ok = text[..start]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric());
        let after = &text[start + 1..];
        let len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        let closed = after[len..].starts_with(':');
        let after_ok = after[len..]
            .chars()
            .nth(1)
            .is_none_or(|c| !c.is_alphanumeric());
        if before_ok && closed && after_ok && (2..=64).contains(&len) {
            let code = after[..len].to_owned();
            if !found.contains(&code) {
                found.push(code);
            }
            // The closing colon may open the next one (`:a::b:`).
            from = start + 1 + len;
        } else {
            from = start + 1;
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::shortcodes_in;

    #[test]
    fn shortcodes_are_found_between_colons() {
        assert_eq!(
            shortcodes_in("hi :blob_cat: and :blob_cat::tea:"),
            ["blob_cat", "tea"]
        );
        assert!(shortcodes_in("12:30:45").is_empty());
        assert_eq!(shortcodes_in("<p>:tea:</p>"), ["tea"]);
        assert!(shortcodes_in("a: b : :x: :-):").is_empty());
        assert!(shortcodes_in(&format!(":{}:", "a".repeat(65))).is_empty());
    }
}
