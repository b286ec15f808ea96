//! Mastodon's `Conversation`: a direct-message thread as one participant sees it.

use super::account::Account;
use super::status::{accounts_by_ids_view, statuses_view, Status};
use kith_core::InstanceUrls;
use kith_storage::conversations::AccountConversation;
use kith_storage::{statuses, DbConn, StorageError};
use serde::Serialize;
use std::collections::HashMap;

/// One conversation: the other participants, the newest message `owner` may see, and
/// whether it is unread.
#[derive(Debug, Clone, Serialize)]
pub struct Conversation {
    pub id: String,
    pub unread: bool,
    pub accounts: Vec<Account>,
    pub last_status: Option<Status>,
}

/// `owner`'s conversations as it sees them. The newest message shown is the recorded one, or
/// if that is gone or hidden now the newest one `owner` may still see; a conversation with
/// none is left out. The participants are that message's author and the accounts it names,
/// but `owner` (or `owner` alone, for a note to oneself).
pub fn conversations_view(
    c: &mut DbConn,
    rows: &[AccountConversation],
    owner: i64,
    urls: &InstanceUrls,
) -> Result<Vec<Conversation>, StorageError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.last_status_id).collect();
    let visible: std::collections::HashSet<i64> = statuses::visible_among(c, &ids, Some(owner))?
        .into_iter()
        .collect();
    let mut found: HashMap<i64, statuses::Status> = statuses::by_ids(c, &ids)?
        .into_iter()
        .filter(|s| visible.contains(&s.id))
        .map(|s| (s.id, s))
        .collect();
    let mut out = Vec::new();
    for row in rows {
        let last = match found.remove(&row.last_status_id) {
            Some(s) => Some(s),
            None => statuses::latest_direct_in(c, &row.conversation, owner)?,
        };
        let Some(last) = last else { continue };
        let mut people: Vec<i64> = std::iter::once(last.account_id)
            .chain(statuses::mentions(c, last.id)?)
            .filter(|id| *id != owner)
            .collect();
        let mut seen = std::collections::HashSet::new();
        people.retain(|id| seen.insert(*id));
        if people.is_empty() {
            people.push(owner);
        }
        let accounts = accounts_by_ids_view(c, &people, urls)?;
        let last_status = statuses_view(c, std::slice::from_ref(&last), Some(owner), urls)?.pop();
        out.push(Conversation {
            id: row.id.to_string(),
            unread: row.unread,
            accounts,
            last_status,
        });
    }
    Ok(out)
}
