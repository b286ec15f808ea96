//! The notification gate: every notification, from the client API and from the inbox alike,
//! goes through [`notify`], which decides whether it is stored at all. It is the one place for
//! notification policy, as Mastodon's `NotifyService` and GoToSocial's `surfaceNotify` are:
//! a new rule (mutes, domain blocks, filtered notifications, a policy for strangers) goes here
//! and nowhere else. `clippy.toml` forbids calling the storage write it guards,
//! `kith_storage::activity::insert_notification`, from anywhere but here.

use crate::shields::Action;
use kith_storage::accounts;
use kith_storage::activity::{self, Notification};
use kith_storage::{conversations, follows, mutes, statuses, DbConn, OptionalExt, StorageError};

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

/// What the gate did with a notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Stored and shown (and streamed once the transaction commits).
    Notified,
    /// Stored but held by the recipient's policy, as a notification request: not listed, not
    /// streamed, until the recipient accepts the request or a moderator releases it.
    Held {
        /// A direct message held as a message request: the message stays out of the
        /// recipient's home timeline too until accepted.
        message_request: bool,
    },
    /// Not stored: dropped by a rule (self, blocks, mutes, …).
    Dropped,
    /// Not stored: the recipient's policy says `drop`. For a direct message, whether it stays
    /// out of the recipient's home timeline too.
    Refused {
        /// As for [`Outcome::Held`].
        message_request: bool,
    },
}

impl Outcome {
    /// Whether a direct message this was about stays out of the recipient's home timeline.
    pub fn hides_message(self) -> bool {
        matches!(
            self,
            Outcome::Held {
                message_request: true
            } | Outcome::Refused {
                message_request: true
            }
        )
    }
}

/// Notifies `recipient` that `sender` did something (`kind`, about `status` if any), unless
/// the gate drops or holds it. Runs inside the caller's transaction. Returns whether it was
/// stored and shown ([`notify_outcome`] says more).
pub fn notify(
    conn: &mut DbConn,
    recipient: i64,
    sender: i64,
    kind: NotificationKind,
    status: Option<i64>,
) -> Result<bool, StorageError> {
    notify_of(conn, recipient, sender, kind, status, None)
}

/// [`notify`], for a notification about something besides a status: `subject` is the report
/// of an `admin.report`, the warning of a `moderation_warning`. The same gate decides.
pub fn notify_of(
    conn: &mut DbConn,
    recipient: i64,
    sender: i64,
    kind: NotificationKind,
    status: Option<i64>,
    subject: Option<i64>,
) -> Result<bool, StorageError> {
    Ok(notify_outcome(conn, recipient, sender, kind, status, subject)? == Outcome::Notified)
}

/// Whether the recipient's notification policy may hold or drop this kind (Mastodon's
/// filterable types: not staff notices, polls, edits or warnings).
fn filterable(kind: NotificationKind) -> bool {
    matches!(
        kind,
        NotificationKind::Follow
            | NotificationKind::FollowRequest
            | NotificationKind::Mention
            | NotificationKind::Favourite
            | NotificationKind::Reblog
            | NotificationKind::Status
    )
}

/// The gate itself: what became of a notification.
///
/// Dropped:
/// - a notification to oneself (except `poll`: the author of a poll hears that it ended, as in
///   Mastodon);
/// - one for an account that is not local (nobody here would read it);
/// - one between accounts where either blocks the other;
/// - one from an account the recipient mutes with its notifications (while the mute lasts);
/// - one from an account on a domain the recipient blocked, unless the recipient follows it;
/// - one about a status in a conversation the recipient muted.
///
/// Then the recipient's notification policy ([`crate::shields::decide`]) accepts, holds
/// (stored as filtered, grouped into a notification request, no streaming event) or drops
/// the filterable kinds: by who the sender is (not followed, not a follower, new, limited by
/// a moderator), private mentions, and the dogpile shield. Of the other kinds, those from an
/// account on a silenced server, or from an account the moderators limited, reach only the
/// account's followers (reports, sign-ups and warnings always reach their readers).
pub fn notify_outcome(
    conn: &mut DbConn,
    recipient: i64,
    sender: i64,
    kind: NotificationKind,
    status: Option<i64>,
    subject: Option<i64>,
) -> Result<Outcome, StorageError> {
    if recipient == sender && kind != NotificationKind::Poll {
        return Ok(Outcome::Dropped);
    }
    let to = accounts::by_id(conn, recipient)?;
    if !to.is_local() {
        return Ok(Outcome::Dropped);
    }
    if follows::blocked_either_way(conn, recipient, sender)? {
        return Ok(Outcome::Dropped);
    }
    let from = accounts::by_id(conn, sender)?;
    // Someone the recipient mutes with their notifications, while the mute lasts (Mastodon's
    // `NotifyService#blocked?`).
    if mutes::mute_of(conn, recipient, sender)?.is_some_and(|m| m.hide_notifications) {
        return Ok(Outcome::Dropped);
    }
    // An account on a domain the recipient blocked, unless the recipient follows it (as in
    // Mastodon).
    if let Some(domain) = &from.domain {
        if mutes::blocks_domain(conn, recipient, domain)?
            && !follows::between(conn, recipient, sender)?.is_some_and(|f| f.accepted)
        {
            return Ok(Outcome::Dropped);
        }
    }
    // A conversation the recipient muted (Mastodon's `conversation_muted?`): nothing about
    // its posts.
    if let Some(status_id) = status {
        if let Some(row) = statuses::by_id(conn, status_id).optional()? {
            let key = conversations::key_of(&row);
            if !conversations::muted_among(conn, recipient, &[key])?.is_empty() {
                return Ok(Outcome::Dropped);
            }
        }
    }
    let mut filtered = false;
    let mut message_request = false;
    if filterable(kind) {
        let about = match (kind, status) {
            (NotificationKind::Mention, Some(id)) => Some(statuses::by_id(conn, id)?),
            _ => None,
        };
        let decision = crate::shields::decide(conn, &to, &from, kind, about.as_ref())?;
        message_request = decision.hide_message;
        match decision.action {
            Action::Accept => {}
            Action::Filter => filtered = true,
            Action::Drop => return Ok(Outcome::Refused { message_request }),
        }
    } else if crate::domain_policy::silenced_for(conn, recipient, &from)? {
        // A silenced (limited) server's accounts notify only those who follow them.
        return Ok(Outcome::Dropped);
    } else if !matches!(
        kind,
        NotificationKind::AdminReport
            | NotificationKind::AdminSignUp
            | NotificationKind::ModerationWarning
    ) && kith_storage::moderation::state(conn, sender)?
        .silenced_at
        .is_some()
        && !follows::between(conn, recipient, sender)?.is_some_and(|f| f.accepted)
    {
        // An account the moderators limited reaches only its followers, as its posts do.
        return Ok(Outcome::Dropped);
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
            subject_id: subject,
            filtered,
        },
    )?;
    if filtered {
        kith_storage::shields::hold(conn, recipient, sender, status)?;
        return Ok(Outcome::Held { message_request });
    }
    // Connected clients hear of it once this transaction commits.
    kith_storage::stream_events::record(
        conn,
        kith_storage::stream_events::Event::Notification {
            id,
            account: recipient,
        },
    )?;
    Ok(Outcome::Notified)
}

/// Accepts `recipient`'s notification request `request_id`: its held notifications join the
/// list (and reach connected clients), direct messages it held join the home timeline, and
/// the sender is let through from then on. `NotFound` if the recipient has no such request.
pub fn accept_request(
    conn: &mut DbConn,
    recipient: i64,
    request_id: i64,
) -> Result<(), StorageError> {
    let request = kith_storage::shields::request(conn, recipient, request_id)?;
    kith_storage::shields::permit(conn, recipient, request.from_account_id)?;
    release(conn, &request)
}

/// Releases every notification request `recipient` has (a moderator lifting the shields),
/// without letting their senders through for later ones. Returns how many were released.
pub fn release_all(conn: &mut DbConn, recipient: i64) -> Result<usize, StorageError> {
    let mut n = 0;
    loop {
        let page = kith_storage::statuses::Page {
            limit: 80,
            ..Default::default()
        };
        let batch = kith_storage::shields::requests(conn, recipient, page)?;
        if batch.is_empty() {
            return Ok(n);
        }
        for request in &batch {
            release(conn, request)?;
            n += 1;
        }
    }
}

fn release(
    conn: &mut DbConn,
    request: &kith_storage::shields::Request,
) -> Result<(), StorageError> {
    let recipient = request.account_id;
    let released = kith_storage::shields::release_held(conn, recipient, request.from_account_id)?;
    for (id, status) in released {
        if let Some(status_id) = status {
            // A held direct message (a message request) opens now.
            let s = statuses::by_id(conn, status_id)?;
            if s.visibility == "direct" {
                statuses::add_to_feeds(conn, status_id, &[recipient])?;
            }
        }
        kith_storage::stream_events::record(
            conn,
            kith_storage::stream_events::Event::Notification {
                id,
                account: recipient,
            },
        )?;
    }
    kith_storage::shields::delete_request(conn, request.id)
}

/// Dismisses `recipient`'s notification request `request_id`: its held notifications are
/// deleted and a direct message it held never reaches the home timeline. A later notification
/// from the same sender is held again, in a new request. `NotFound` if there is no such request.
pub fn dismiss_request(
    conn: &mut DbConn,
    recipient: i64,
    request_id: i64,
) -> Result<(), StorageError> {
    let request = kith_storage::shields::request(conn, recipient, request_id)?;
    kith_storage::shields::discard_held(conn, recipient, request.from_account_id)?;
    kith_storage::shields::delete_request(conn, request.id)
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
