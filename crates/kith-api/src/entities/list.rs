//! Mastodon's `List`.

use kith_storage::lists::List as ListRow;
use serde::Serialize;

/// Mastodon's `List`.
#[derive(Debug, Clone, Serialize)]
pub struct List {
    pub id: String,
    pub title: String,
    pub replies_policy: String,
    pub exclusive: bool,
}

/// A list row as shown.
pub fn list_to_api(row: &ListRow) -> List {
    List {
        id: row.id.to_string(),
        title: row.title.clone(),
        replies_policy: row.replies_policy.clone(),
        exclusive: row.exclusive,
    }
}
