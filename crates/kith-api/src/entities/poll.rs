//! Mastodon's `Poll`. Option counts stay hidden (`null`) while a `hide_totals` poll is open,
//! as Mastodon shows them; `voted` and `own_votes` are there only for a signed-in viewer.

use super::timestamp;
use kith_storage::polls::Poll as PollRow;
use serde::Serialize;

/// Mastodon's `Poll`.
#[derive(Debug, Clone, Serialize)]
pub struct Poll {
    pub id: String,
    pub expires_at: Option<String>,
    pub expired: bool,
    pub multiple: bool,
    pub votes_count: i64,
    pub voters_count: Option<i64>,
    pub options: Vec<PollOption>,
    pub emojis: Vec<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voted: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub own_votes: Option<Vec<i64>>,
}

/// One option of a `Poll`.
#[derive(Debug, Clone, Serialize)]
pub struct PollOption {
    pub title: String,
    pub votes_count: Option<i64>,
}

/// A poll as a viewer sees it: `own` is the viewer's choices (`None` without a viewer);
/// the poll's author counts as having voted, as in Mastodon.
pub fn poll_to_api(row: &PollRow, own: Option<&[i32]>, viewer_is_author: bool) -> Poll {
    let expired = row.is_expired(kith_storage::now());
    let show_totals = expired || !row.hide_totals;
    let counts = row.counts();
    Poll {
        id: row.id.to_string(),
        expires_at: row.expires_at.map(timestamp),
        expired,
        multiple: row.multiple,
        votes_count: counts.iter().sum(),
        voters_count: row.voters_count,
        options: row
            .titles()
            .into_iter()
            .zip(counts)
            .map(|(title, n)| PollOption {
                title,
                votes_count: show_totals.then_some(n),
            })
            .collect(),
        emojis: Vec::new(),
        voted: own.map(|o| viewer_is_author || !o.is_empty()),
        own_votes: own.map(|o| o.iter().map(|c| i64::from(*c)).collect()),
    }
}
