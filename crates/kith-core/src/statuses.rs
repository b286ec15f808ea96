//! What happens when a status appears, whoever wrote it: which home feeds get it and who is
//! notified (through the gate, `notifications::notify`). Runs inside the caller's transaction
//! (`Db::write`), so a post and its fan-in are stored together or not at all, and so is the
//! streaming event that tells connected clients (`stream_events::record`). `boost` is the one
//! shape of a boost row, local or remote.

use crate::notifications::{notify_outcome, NotificationKind};
use crate::types::Visibility;
use kith_storage::accounts::Account;
use kith_storage::statuses::{self, Status};
use kith_storage::{conversations, follows, stream_events, tags, DbConn, StorageError};

/// Puts a new status into the home feeds it belongs in and notifies mentioned people:
/// - the author's own feed (local authors);
/// - local followers' feeds, unless it is a direct message;
/// - for direct messages, the feeds of the local accounts addressed, but not of those whose
///   notification policy holds it as a message request;
/// - for public posts, the feeds of local accounts following one of its tags;
/// - a `mention` notification for each mentioned local account but the author;
/// - for direct messages, each local participant's conversation (`conversations`).
///
/// Boosts go to the booster's followers; the boosted author is notified (`reblog`).
pub fn distribute(
    conn: &mut DbConn,
    status: &Status,
    author: &Account,
    mentioned: &[Account],
) -> Result<(), StorageError> {
    // Nobody gets posts from someone they block in their feed: followers who block the
    // author are left out by the query, addressees of a direct message checked here.
    let mut allowed = Vec::new();
    if author.is_local() {
        allowed.push(author.id);
    }
    let local_mentioned: Vec<&Account> = mentioned
        .iter()
        .filter(|a| a.is_local() && a.id != author.id)
        .collect();
    let direct = Visibility::of(status) == Visibility::Direct;
    if direct {
        let addressed: Vec<i64> = local_mentioned.iter().map(|a| a.id).collect();
        let blockers = follows::blockers_among(conn, &addressed, author.id)?;
        allowed.extend(addressed.into_iter().filter(|id| !blockers.contains(id)));
    } else {
        allowed.extend(follows::local_follower_ids(conn, author.id)?);
    }
    let original = status.reblog_of_id.is_none();
    if original && Visibility::of(status) == Visibility::Public {
        // Followers of its tags (Mastodon's `deliver_to_hashtag_followers!`), except those a
        // silenced domain does not reach; the home timeline's read applies blocks and mutes.
        let tagged = statuses::tags(conn, status.id)?;
        for follower in tags::local_followers_of(conn, &tagged)? {
            if !crate::domain_policy::silenced_for(conn, follower, author)? {
                allowed.push(follower);
            }
        }
    }
    // Notify first: a direct message the recipient's policy holds as a message request stays
    // out of their feed and conversations until they accept it
    // (`notifications::accept_request` adds it to the feed then).
    let mut held_from_feed = Vec::new();
    if original {
        for a in local_mentioned {
            let outcome = notify_outcome(
                conn,
                a.id,
                author.id,
                NotificationKind::Mention,
                Some(status.id),
                None,
            )?;
            if direct && outcome.hides_message() {
                held_from_feed.push(a.id);
            }
        }
    }
    allowed.retain(|id| !held_from_feed.contains(id));
    allowed.sort_unstable();
    allowed.dedup();
    statuses::add_to_feeds(conn, status.id, &allowed)?;
    if original && direct {
        // Each local participant's conversation gets the message (unread but for its author),
        // and their `direct` streams hear of it.
        let key = conversations::key_of(status);
        for &participant in &allowed {
            let id = conversations::add_message(
                conn,
                participant,
                &key,
                status.id,
                participant != author.id,
            )?;
            stream_events::record(
                conn,
                stream_events::Event::Conversation {
                    id,
                    account: participant,
                },
            )?;
        }
    }
    stream_events::record(conn, stream_events::Event::Status(status.id))?;
    Ok(())
}

/// The row of `booster`'s boost of `target`: no content of its own, made at `created_at`
/// under `id` and `ap_id` (local boosts are public; a remote one keeps its addressing).
pub fn boost(
    target: &Status,
    booster: &Account,
    id: i64,
    ap_id: String,
    visibility: Visibility,
    created_at: chrono::NaiveDateTime,
) -> Status {
    Status {
        id,
        ap_id,
        url: None,
        account_id: booster.id,
        local: booster.is_local(),
        visibility: visibility.as_str().to_owned(),
        in_reply_to_id: None,
        in_reply_to_ap_id: None,
        in_reply_to_account_id: None,
        reblog_of_id: Some(target.id),
        content: String::new(),
        source_text: None,
        spoiler_text: String::new(),
        sensitive: false,
        language: None,
        conversation: None,
        attachments: "[]".into(),
        created_at,
        edited_at: None,
    }
}

/// Pins `status` to `account_id`'s profile, by Mastodon's rules: one's own post, not a boost,
/// public or unlisted (Kith keeps followers-only posts off the profile's pinned list), at most
/// `marks::PIN_LIMIT`. Pinning a pinned post again changes nothing.
pub fn pin(
    conn: &mut DbConn,
    account_id: i64,
    status: &Status,
) -> Result<Result<(), crate::CoreError>, StorageError> {
    use crate::CoreError::Invalid;
    use kith_storage::marks;
    let refusal = if status.reblog_of_id.is_some() {
        Some("Boosts cannot be pinned")
    } else if status.account_id != account_id {
        Some("Posts that are not your own cannot be pinned")
    } else if !matches!(status.visibility.as_str(), "public" | "unlisted") {
        Some("Only public and unlisted posts can be pinned")
    } else {
        None
    };
    if let Some(why) = refusal {
        return Ok(Err(Invalid(why.into())));
    }
    Ok(
        marks::pin(conn, account_id, status.id)?.map_err(|marks::PinRefusal::Limit| {
            Invalid("You have already pinned the maximum number of posts".into())
        }),
    )
}
