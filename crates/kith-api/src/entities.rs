//! Mastodon API response entities, named and shaped as in the Mastodon documentation, with the
//! conversions from storage rows (`*_to_api`). Ids are strings, times RFC 3339 in UTC.

pub mod account;
pub mod admin;
pub mod announcement;
pub mod application;
pub mod conversation;
pub mod filter;
pub mod instance;
pub mod list;
pub mod marker;
pub mod media;
pub mod notification_group;
pub mod poll;
pub mod shields;
pub mod status;
pub mod tag;

use chrono::NaiveDateTime;

/// A stored time as Mastodon renders it: `2026-11-22T03:20:00.000Z`.
pub fn timestamp(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}
