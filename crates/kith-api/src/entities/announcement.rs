//! Mastodon's `Announcement`.

use super::timestamp;
use kith_storage::announcements::Announcement;
use serde_json::{json, Value};

/// An announcement with its reactions (`{name, count, me}`); `read` for a reader, absent when
/// it is sent to everyone at once (the `announcement` streaming event, as Mastodon sends it).
pub fn announcement_to_api(a: &Announcement, read: Option<bool>, reactions: Vec<Value>) -> Value {
    let mut out = json!({
        "id": a.id.to_string(),
        "content": a.content,
        "starts_at": a.starts_at.map(timestamp),
        "ends_at": a.ends_at.map(timestamp),
        "all_day": a.all_day,
        "published_at": timestamp(a.published_at),
        "updated_at": timestamp(a.updated_at),
        "mentions": [],
        "statuses": [],
        "tags": [],
        "emojis": [],
        "reactions": reactions,
    });
    if let Some(read) = read {
        out["read"] = json!(read);
    }
    out
}
