//! The notification gate: every notification, from the client API and from the inbox alike,
//! goes through [`notify`], which decides whether it is stored at all. It is the one place for
//! notification policy, as Mastodon's `NotifyService` and GoToSocial's `surfaceNotify` are:
//! a new rule (mutes, domain blocks, filtered notifications, a policy for strangers) goes here
//! and nowhere else. `clippy.toml` forbids calling the storage write it guards,
//! `kith_storage::activity::insert_notification`, from anywhere but here.

use kith_storage::accounts;
use kith_storage::activity::{self, Notification};
use kith_storage::{conversations, follows, mutes, DbConn, OptionalExt, StorageError};

/// What a notification is about, as Mastodon names its types. Stored as that string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotificationKind {
    /// Someone followed the recipient.
    Follow,
    /// Someone asked to follow the (locked) recipient.
    FollowRequest,
    /// Someone mentioned the recipient in a status.
    Mention,
    /// Someone favourited the recipient's status.
    Favourite,
    /// Someone boosted the recipient's status.
    Reblog,
    /// A status the recipient boosted was edited.
    Update,
    /// Someone the recipient subscribed to posted.
    Status,
    /// A poll the recipient voted in or made has ended.
    Poll,
    /// Someone signed up (for admins).
    AdminSignUp,
    /// A report was filed (for moderators).
    AdminReport,
    /// A moderator took action against the recipient's account (a warning it should read).
    ModerationWarning,
}

impl NotificationKind {
    /// Every kind, in Mastodon's order.
    pub const ALL: [NotificationKind; 11] = [
        NotificationKind::Follow,
        NotificationKind::FollowRequest,
        NotificationKind::Mention,
        NotificationKind::Favourite,
        NotificationKind::Reblog,
        NotificationKind::Update,
        NotificationKind::Status,
        NotificationKind::Poll,
        NotificationKind::AdminSignUp,
        NotificationKind::AdminReport,
        NotificationKind::ModerationWarning,
    ];

    /// Mastodon's name for the kind, as stored and as sent to clients.
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::Follow => "follow",
            NotificationKind::FollowRequest => "follow_request",
            NotificationKind::Mention => "mention",
            NotificationKind::Favourite => "favourite",
            NotificationKind::Reblog => "reblog",
            NotificationKind::Update => "update",
            NotificationKind::Status => "status",
            NotificationKind::Poll => "poll",
            NotificationKind::AdminSignUp => "admin.sign_up",
            NotificationKind::AdminReport => "admin.report",
            NotificationKind::ModerationWarning => "moderation_warning",
        }
    }

    /// The kind with this name, if it is one.
    pub fn parse(name: &str) -> Option<NotificationKind> {
        NotificationKind::ALL
            .into_iter()
            .find(|k| k.as_str() == name)
    }
}

impl std::fmt::Display for NotificationKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Notifies `recipient` that `sender` did something (`kind`, about `status` if any), unless
/// the gate drops it. Runs inside the caller's transaction. Returns whether it was stored.
///
/// Dropped:
/// - a notification to oneself;
/// - one for an account that is not local (nobody here would read it);
/// - one between accounts where either blocks the other;
/// - one from an account on a silenced or suspended domain that the recipient does not follow.
/// - one from an account the recipient mutes with its notifications (while the mute lasts);
/// - one from an account on a domain the recipient blocked, unless the recipient follows it;
/// - one about a status in a conversation the recipient muted.
pub fn notify(
    conn: &mut DbConn,
    recipient: i64,
    sender: i64,
    kind: NotificationKind,
    status: Option<i64>,
) -> Result<bool, StorageError> {
    if recipient == sender {
        return Ok(false);
    }
    if !accounts::by_id(conn, recipient)?.is_local() {
        return Ok(false);
    }
    if follows::blocked_either_way(conn, recipient, sender)? {
        return Ok(false);
    }
    // Domain policies: a silenced (limited) server's accounts notify only those who follow them.
    let from = accounts::by_id(conn, sender)?;
    if crate::domain_policy::silenced_for(conn, recipient, &from)? {
        return Ok(false);
    }
    // Someone the recipient mutes with their notifications, while the mute lasts (Mastodon's
    // `NotifyService#blocked?`).
    if mutes::mute_of(conn, recipient, sender)?.is_some_and(|m| m.hide_notifications) {
        return Ok(false);
    }
    // An account on a domain the recipient blocked, unless the recipient follows it (as in
    // Mastodon).
    if let Some(domain) = accounts::by_id(conn, sender)?.domain {
        if mutes::blocks_domain(conn, recipient, &domain)?
            && !follows::between(conn, recipient, sender)?.is_some_and(|f| f.accepted)
        {
            return Ok(false);
        }
    }
    // A conversation the recipient muted (Mastodon's `conversation_muted?`): nothing about
    // its posts.
    if let Some(status_id) = status {
        if let Some(row) = kith_storage::statuses::by_id(conn, status_id).optional()? {
            let key = conversations::key_of(&row);
            if !conversations::muted_among(conn, recipient, &[key])?.is_empty() {
                return Ok(false);
            }
        }
    }
    let id = kith_storage::id::new_id();
    #[allow(clippy::disallowed_methods)] // the gate is the one caller
    activity::insert_notification(
        conn,
        &Notification {
            id,
            account_id: recipient,
            from_account_id: sender,
            kind: kind.as_str().to_owned(),
            status_id: status,
            created_at: kith_storage::now(),
        },
    )?;
    // Connected clients hear of it once this transaction commits.
    kith_storage::stream_events::record(
        conn,
        kith_storage::stream_events::Event::Notification {
            id,
            account: recipient,
        },
    )?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::NotificationKind;

    #[test]
    fn kinds_round_trip_through_their_mastodon_names() {
        for kind in NotificationKind::ALL {
            assert_eq!(NotificationKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(
            NotificationKind::parse("admin.sign_up"),
            Some(NotificationKind::AdminSignUp)
        );
        assert_eq!(NotificationKind::parse("favorite"), None);
        assert_eq!(NotificationKind::parse(""), None);
    }
}
