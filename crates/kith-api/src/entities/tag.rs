//! Mastodon's `Tag` (as `tags/:name` and `followed_tags` answer it).

use kith_core::InstanceUrls;
use serde::Serialize;

/// A hashtag, with whether the viewer follows and features it. Kith keeps no per-day usage counts, so
/// `history` is empty. The id is the normalized name (tags have no row of their own).
#[derive(Debug, Clone, Serialize)]
pub struct Tag {
    pub id: String,
    pub name: String,
    pub url: String,
    pub history: Vec<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub following: Option<bool>,
    /// Whether the viewer features it on their profile (signed-in viewers only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub featuring: Option<bool>,
}

/// Tag `name` (normalized) as `viewer` sees it: `following` only for a signed-in viewer.
pub fn tag_to_api(name: &str, following: Option<bool>, urls: &InstanceUrls) -> Tag {
    Tag {
        id: name.to_owned(),
        name: name.to_owned(),
        url: format!("{}tags/{name}", urls.base()),
        history: Vec::new(),
        following,
        featuring: None,
    }
}
