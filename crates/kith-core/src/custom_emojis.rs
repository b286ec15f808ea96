//! Local custom emoji: admins add them (an image in the media store, its type sniffed from its
//! bytes and its size capped) and remove them, both audited.

use crate::accounts::Role;
use crate::media_store::{new_key, MediaStore};
use crate::moderation::Staff;
use crate::{audit, CoreError};
use kith_storage::custom_emojis::{self as store, CustomEmoji};
use kith_storage::{Db, OptionalExt};

/// The largest emoji image, in bytes (Mastodon's limit for local emoji).
pub const MAX_EMOJI_BYTES: usize = 256 * 1024;
/// The image types an emoji may have.
pub const EMOJI_TYPES: &[&str] = &["image/png", "image/gif", "image/webp"];
/// The longest category name, in characters.
pub const MAX_CATEGORY_CHARS: usize = 64;

/// Whether `s` can be a shortcode: 2 to 64 ASCII letters, digits or `_`.
pub fn valid_shortcode(s: &str) -> bool {
    (2..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn admin_only(staff: Staff) -> Result<(), CoreError> {
    if staff.role != Role::Admin {
        return Err(CoreError::Forbidden(
            "only admins manage custom emoji".into(),
        ));
    }
    Ok(())
}

/// Adds the local emoji `:shortcode:` with the image `bytes`, as the admin `staff`
/// (audited). A refused image leaves no file behind.
pub async fn add(
    db: &Db,
    media: &dyn MediaStore,
    staff: Staff,
    shortcode: &str,
    bytes: Vec<u8>,
    category: Option<String>,
) -> Result<CustomEmoji, CoreError> {
    admin_only(staff)?;
    if !valid_shortcode(shortcode) {
        return Err(CoreError::Invalid(
            "a shortcode is 2 to 64 letters, digits or _".into(),
        ));
    }
    let category = category
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty());
    if let Some(c) = &category {
        if c.chars().count() > MAX_CATEGORY_CHARS || c.chars().any(char::is_control) {
            return Err(CoreError::Invalid(format!(
                "a category is at most {MAX_CATEGORY_CHARS} characters of text"
            )));
        }
    }
    if bytes.len() > MAX_EMOJI_BYTES {
        return Err(CoreError::Invalid(format!(
            "an emoji image is at most {} KiB",
            MAX_EMOJI_BYTES / 1024
        )));
    }
    let (content_type, extension) = match infer::get(&bytes) {
        Some(t) if EMOJI_TYPES.contains(&t.mime_type()) => (t.mime_type(), t.extension()),
        _ => {
            return Err(CoreError::Invalid(
                "an emoji image is a PNG, GIF or WebP file".into(),
            ))
        }
    };
    let code = shortcode.to_owned();
    if db
        .read(move |c| store::by_shortcode(c, &code).optional())
        .await?
        .is_some()
    {
        return Err(CoreError::Taken("shortcode"));
    }
    let emoji = CustomEmoji {
        id: kith_storage::id::new_id(),
        shortcode: shortcode.to_owned(),
        storage_key: new_key(extension),
        content_type: content_type.to_owned(),
        category,
        visible_in_picker: true,
        created_at: kith_storage::now(),
    };
    media
        .put(&emoji.storage_key, bytes.into())
        .await
        .map_err(|e| CoreError::Internal(e.to_string()))?;
    let row = emoji.clone();
    let stored = db
        .write(move |c| {
            store::insert(c, &row)?;
            audit::record(
                c,
                staff.account_id,
                "create_custom_emoji",
                "custom_emoji",
                &row.shortcode,
                None,
            )?;
            Ok(())
        })
        .await;
    if let Err(e) = stored {
        // Not stored (say two adds of one shortcode at once): its file goes too.
        let _ = media.delete(&emoji.storage_key).await;
        return Err(e.into());
    }
    Ok(emoji)
}

/// Removes the local emoji `:shortcode:` and its image, as the admin `staff` (audited).
pub async fn remove(
    db: &Db,
    media: &dyn MediaStore,
    staff: Staff,
    shortcode: &str,
) -> Result<(), CoreError> {
    admin_only(staff)?;
    let code = shortcode.to_owned();
    let removed = db
        .write(move |c| {
            let Some(gone) = store::delete(c, &code).optional()? else {
                return Ok(Err(CoreError::NotFound));
            };
            audit::record(
                c,
                staff.account_id,
                "destroy_custom_emoji",
                "custom_emoji",
                &code,
                None,
            )?;
            Ok(Ok(gone))
        })
        .await??;
    media
        .delete(&removed.storage_key)
        .await
        .map_err(|e| CoreError::Internal(e.to_string()))?;
    Ok(())
}
