//! What happens when a status appears, whoever wrote it: which home feeds get it and who is
//! notified. Runs inside the caller's transaction (`Db::write`), so a post and its fan-in are
//! stored together or not at all.

use kith_storage::accounts::Account;
use kith_storage::activity::{self, Notification};
use kith_storage::statuses::{self, Status};
use kith_storage::{follows, DbConn, StorageError};

/// Puts a new status into the home feeds it belongs in and notifies mentioned people:
/// - the author's own feed (local authors);
/// - local followers' feeds, unless it is a direct message;
/// - for direct messages, the feeds of the local accounts addressed;
/// - a `mention` notification for each mentioned local account but the author.
///
/// Boosts go to the booster's followers; the boosted author is notified (`reblog`).
pub fn distribute(
    conn: &mut DbConn,
    status: &Status,
    author: &Account,
    mentioned: &[Account],
) -> Result<(), StorageError> {
    let mut feeds = Vec::new();
    if author.is_local() {
        feeds.push(author.id);
    }
    if status.visibility != "direct" {
        feeds.extend(follows::local_follower_ids(conn, author.id)?);
    }
    let local_mentioned: Vec<&Account> = mentioned
        .iter()
        .filter(|a| a.is_local() && a.id != author.id)
        .collect();
    if status.visibility == "direct" {
        feeds.extend(local_mentioned.iter().map(|a| a.id));
    }
    // Nobody gets posts from someone they block in their feed.
    feeds.sort_unstable();
    feeds.dedup();
    let blockers = follows::blockers_among(conn, &feeds, author.id)?;
    let allowed: Vec<i64> = feeds
        .into_iter()
        .filter(|id| *id == author.id || !blockers.contains(id))
        .collect();
    statuses::add_to_feeds(conn, status.id, &allowed)?;
    if status.reblog_of_id.is_none() {
        for a in local_mentioned {
            if !follows::blocks(conn, a.id, author.id)? {
                activity::notify(
                    conn,
                    &notification(a.id, author.id, "mention", Some(status.id)),
                )?;
            }
        }
    }
    Ok(())
}

/// A notification row for now.
pub fn notification(to: i64, from: i64, kind: &str, status_id: Option<i64>) -> Notification {
    Notification {
        id: kith_storage::id::new_id(),
        account_id: to,
        from_account_id: from,
        kind: kind.to_owned(),
        status_id,
        created_at: kith_storage::now(),
    }
}
