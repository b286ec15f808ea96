//! Announcements: written by admins (audited), shown to everyone here while current, each
//! dismissed and reacted to by people on their own.

use crate::accounts::Role;
use crate::moderation::Staff;
use crate::{audit, html, CoreError};
use chrono::NaiveDateTime;
use kith_storage::announcements::{self as store, Announcement};
use kith_storage::DbConn;

/// The longest announcement, in characters.
pub const MAX_TEXT_CHARS: usize = 5_000;
/// The most reactions one person may add to one announcement.
pub const MAX_REACTIONS_PER_PERSON: i64 = 8;
/// The longest reaction name, in characters (an emoji with its modifiers and joiners).
pub const MAX_REACTION_CHARS: usize = 16;

/// What an admin writes.
#[derive(Debug, Clone)]
pub struct NewAnnouncement {
    pub text: String,
    pub starts_at: Option<NaiveDateTime>,
    pub ends_at: Option<NaiveDateTime>,
    /// Whether it starts and ends on dates only (ignored without `starts_at` or `ends_at`).
    pub all_day: bool,
}

fn admin_only(staff: Staff) -> Result<(), CoreError> {
    if staff.role != Role::Admin {
        return Err(CoreError::Forbidden(
            "only admins write announcements".into(),
        ));
    }
    Ok(())
}

/// Publishes an announcement as the admin `staff` (audited).
pub fn add(
    conn: &mut DbConn,
    staff: Staff,
    new: &NewAnnouncement,
) -> Result<Announcement, CoreError> {
    admin_only(staff)?;
    let text = new.text.replace('\0', "");
    let text = text.trim();
    if text.is_empty() {
        return Err(CoreError::Invalid("an announcement needs text".into()));
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(CoreError::Invalid(format!(
            "an announcement has at most {MAX_TEXT_CHARS} characters"
        )));
    }
    if let (Some(start), Some(end)) = (new.starts_at, new.ends_at) {
        if end <= start {
            return Err(CoreError::Invalid(
                "an announcement must end after it starts".into(),
            ));
        }
    }
    let now = kith_storage::now();
    let a = Announcement {
        id: kith_storage::id::new_id(),
        text: text.to_owned(),
        content: html::plain_text_to_html(text),
        starts_at: new.starts_at,
        ends_at: new.ends_at,
        all_day: new.all_day && (new.starts_at.is_some() || new.ends_at.is_some()),
        published_at: now,
        updated_at: now,
    };
    store::insert(conn, &a)?;
    // Apps hear of it at once when it is showing already (one that starts later is read from
    // `GET /api/v1/announcements` when it does).
    if a.starts_at.is_none_or(|s| s <= now) && a.ends_at.is_none_or(|e| e > now) {
        kith_storage::stream_events::record(
            conn,
            kith_storage::stream_events::Event::Announcement(a.id),
        )?;
    }
    audit::record(
        conn,
        staff.account_id,
        "create_announcement",
        "announcement",
        &a.id.to_string(),
        None,
    )?;
    Ok(a)
}

/// Withdraws an announcement as the admin `staff` (audited).
pub fn remove(conn: &mut DbConn, staff: Staff, id: i64) -> Result<(), CoreError> {
    admin_only(staff)?;
    if !store::delete(conn, id)? {
        return Err(CoreError::NotFound);
    }
    kith_storage::stream_events::record(
        conn,
        kith_storage::stream_events::Event::AnnouncementDelete(id),
    )?;
    audit::record(
        conn,
        staff.account_id,
        "destroy_announcement",
        "announcement",
        &id.to_string(),
        None,
    )?;
    Ok(())
}

/// Whether `name` can be a reaction: a Unicode emoji (with its modifiers and joiners), never
/// text. (Kith has no custom emoji to react with.)
pub fn valid_reaction(name: &str) -> bool {
    let count = name.chars().count();
    (1..=MAX_REACTION_CHARS).contains(&count)
        && name
            .chars()
            .all(|c| !c.is_ascii() && !c.is_whitespace() && !c.is_control() && !c.is_alphanumeric())
}

/// Adds `account_id`'s reaction to a current announcement.
pub fn react(conn: &mut DbConn, id: i64, account_id: i64, name: &str) -> Result<(), CoreError> {
    if !valid_reaction(name) {
        return Err(CoreError::Invalid("Name is not a recognized emoji".into()));
    }
    store::current_by_id(conn, id, kith_storage::now())?.ok_or(CoreError::NotFound)?;
    if store::count_reactions_by(conn, id, account_id)? >= MAX_REACTIONS_PER_PERSON {
        return Err(CoreError::Invalid(format!(
            "at most {MAX_REACTIONS_PER_PERSON} reactions per announcement"
        )));
    }
    store::react(conn, id, account_id, name)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reactions_are_emoji_not_text() {
        for ok in ["👍", "❤️", "👩‍💻", "🇪🇺", "👍🏽"] {
            assert!(valid_reaction(ok), "{ok}");
        }
        for bad in [
            "",
            "a",
            "👍 ",
            "<b>",
            "thumbs",
            "日本",
            "\u{0}",
            &"👍".repeat(17),
        ] {
            assert!(!valid_reaction(bad), "{bad:?}");
        }
    }
}
