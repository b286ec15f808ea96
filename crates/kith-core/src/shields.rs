//! Shields: what a person's notification policy decides about a notification, for the
//! notification gate ([`crate::notifications::notify`], the only caller of [`decide`]), and
//! the policy itself (Mastodon 4.3's `accept`/`filter`/`drop` per kind of sender, plus Kith's
//! own settings: what counts as a new account, optional signals, the dogpile shield and
//! message requests).
//!
//! A person's stored policy leaves unset what they never changed; unset values come from the
//! instance's defaults, written to `instance_settings` from the configuration at start
//! ([`store_instance_defaults`]), so every process sharing the database decides alike.

use crate::CoreError;
use chrono::{Duration, NaiveDateTime};
use kith_storage::accounts::{self, Account};
use kith_storage::shields::{self as store, PolicyRow};
use kith_storage::{follows, settings, DbConn, StorageError};
use std::str::FromStr;

/// What to do with a notification from a kind of sender (Mastodon 4.3's values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    /// Notify as usual.
    Accept,
    /// Hold it as a notification request.
    Filter,
    /// Do not store it at all.
    Drop,
}

impl Action {
    /// Mastodon's word for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Accept => "accept",
            Action::Filter => "filter",
            Action::Drop => "drop",
        }
    }
}

impl FromStr for Action {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Action, CoreError> {
        match s {
            "accept" => Ok(Action::Accept),
            "filter" => Ok(Action::Filter),
            "drop" => Ok(Action::Drop),
            _ => Err(CoreError::Invalid(format!(
                "{s:?} is not one of accept, filter, drop"
            ))),
        }
    }
}

/// A notification policy with every value settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// From accounts the person does not follow.
    pub for_not_following: Action,
    /// From accounts that do not follow the person (or began to less than 3 days ago).
    pub for_not_followers: Action,
    /// From new accounts (see [`Policy::new_account_days`] and the signals) not followed.
    pub for_new_accounts: Action,
    /// Direct messages from accounts not followed, unless they answer the person.
    pub for_private_mentions: Action,
    /// From accounts (or servers) a moderator limited, not followed.
    pub for_limited_accounts: Action,
    /// An account whose `published` date (else its first sighting here) is younger is new.
    pub new_account_days: i64,
    /// An account from a server first seen here fewer days ago is new (0: off).
    pub new_domain_days: i64,
    /// Signal: a username with four digits or more makes an account count as new.
    pub signal_many_digits: bool,
    /// Signal: fewer than 3 followers and fewer than 3 posts known here make it count as new.
    pub signal_few_followers: bool,
    /// Signal: no avatar and no bio make it count as new.
    pub signal_no_avatar_bio: bool,
    /// The dogpile shield: once more than this many accounts the person does not follow
    /// mention or reply to them within [`Policy::dogpile_minutes`], further ones are held
    /// (0: off).
    pub dogpile_threshold: i64,
    /// The dogpile shield's window.
    pub dogpile_minutes: i64,
    /// Message requests: a held direct message stays out of the home timeline (and the
    /// `direct` stream) until its request is accepted.
    pub message_requests: bool,
}

impl Policy {
    /// The defaults when neither the person nor the configuration says otherwise: Mastodon's
    /// for its five values, and Kith's own shields on (the dogpile shield at more than 10
    /// strangers within an hour, message requests) with the costlier signals off.
    pub const BUILT_IN: Policy = Policy {
        for_not_following: Action::Accept,
        for_not_followers: Action::Accept,
        for_new_accounts: Action::Accept,
        for_private_mentions: Action::Filter,
        for_limited_accounts: Action::Filter,
        new_account_days: 30,
        new_domain_days: 30,
        signal_many_digits: true,
        signal_few_followers: false,
        signal_no_avatar_bio: false,
        dogpile_threshold: 10,
        dogpile_minutes: 60,
        message_requests: true,
    };

    /// This policy with a person's stored choices laid over it.
    pub fn with(mut self, row: &PolicyRow) -> Policy {
        let action =
            |v: &Option<String>, d: Action| v.as_deref().and_then(|s| s.parse().ok()).unwrap_or(d);
        self.for_not_following = action(&row.for_not_following, self.for_not_following);
        self.for_not_followers = action(&row.for_not_followers, self.for_not_followers);
        self.for_new_accounts = action(&row.for_new_accounts, self.for_new_accounts);
        self.for_private_mentions = action(&row.for_private_mentions, self.for_private_mentions);
        self.for_limited_accounts = action(&row.for_limited_accounts, self.for_limited_accounts);
        let days = |v: Option<i32>, d: i64| v.map(i64::from).unwrap_or(d);
        self.new_account_days = days(row.new_account_days, self.new_account_days);
        self.new_domain_days = days(row.new_domain_days, self.new_domain_days);
        self.signal_many_digits = row.signal_many_digits.unwrap_or(self.signal_many_digits);
        self.signal_few_followers = row
            .signal_few_followers
            .unwrap_or(self.signal_few_followers);
        self.signal_no_avatar_bio = row
            .signal_no_avatar_bio
            .unwrap_or(self.signal_no_avatar_bio);
        self.dogpile_threshold = days(row.dogpile_threshold, self.dogpile_threshold);
        self.dogpile_minutes = days(row.dogpile_minutes, self.dogpile_minutes);
        self.message_requests = row.message_requests.unwrap_or(self.message_requests);
        self
    }

    /// The policy as `name=value` lines (how instance defaults are kept in the database).
    pub fn to_lines(&self) -> String {
        [
            (
                "for_not_following",
                self.for_not_following.as_str().to_owned(),
            ),
            (
                "for_not_followers",
                self.for_not_followers.as_str().to_owned(),
            ),
            (
                "for_new_accounts",
                self.for_new_accounts.as_str().to_owned(),
            ),
            (
                "for_private_mentions",
                self.for_private_mentions.as_str().to_owned(),
            ),
            (
                "for_limited_accounts",
                self.for_limited_accounts.as_str().to_owned(),
            ),
            ("new_account_days", self.new_account_days.to_string()),
            ("new_domain_days", self.new_domain_days.to_string()),
            ("signal_many_digits", self.signal_many_digits.to_string()),
            (
                "signal_few_followers",
                self.signal_few_followers.to_string(),
            ),
            (
                "signal_no_avatar_bio",
                self.signal_no_avatar_bio.to_string(),
            ),
            ("dogpile_threshold", self.dogpile_threshold.to_string()),
            ("dogpile_minutes", self.dogpile_minutes.to_string()),
            ("message_requests", self.message_requests.to_string()),
        ]
        .iter()
        .map(|(k, v)| format!("{k}={v}\n"))
        .collect()
    }

    /// Reads [`Policy::to_lines`]; what is missing or unreadable keeps [`Policy::BUILT_IN`]'s
    /// value.
    pub fn from_lines(text: &str) -> Policy {
        let mut row = PolicyRow::default();
        for line in text.lines() {
            let Some((k, v)) = line.split_once('=') else {
                continue;
            };
            let (k, v) = (k.trim(), v.trim());
            let text = Some(v.to_owned());
            let int = v.parse::<i32>().ok();
            let flag = v.parse::<bool>().ok();
            match k {
                "for_not_following" => row.for_not_following = text,
                "for_not_followers" => row.for_not_followers = text,
                "for_new_accounts" => row.for_new_accounts = text,
                "for_private_mentions" => row.for_private_mentions = text,
                "for_limited_accounts" => row.for_limited_accounts = text,
                "new_account_days" => row.new_account_days = int,
                "new_domain_days" => row.new_domain_days = int,
                "signal_many_digits" => row.signal_many_digits = flag,
                "signal_few_followers" => row.signal_few_followers = flag,
                "signal_no_avatar_bio" => row.signal_no_avatar_bio = flag,
                "dogpile_threshold" => row.dogpile_threshold = int,
                "dogpile_minutes" => row.dogpile_minutes = int,
                "message_requests" => row.message_requests = flag,
                _ => {}
            }
        }
        Policy::BUILT_IN.with(&row)
    }
}

/// The `instance_settings` row holding the instance's default policy.
const DEFAULTS_SETTING: &str = "shield_defaults";

/// Largest day counts and thresholds accepted (a century; far above any sensible value).
const MAX_DAYS: i32 = 36_500;
const MAX_THRESHOLD: i32 = 100_000;
const MAX_MINUTES: i32 = 10_080;

/// Records the instance's default policy (from the configuration), replacing the one before.
pub fn store_instance_defaults(conn: &mut DbConn, policy: &Policy) -> Result<(), StorageError> {
    settings::set(conn, DEFAULTS_SETTING, &policy.to_lines())
}

/// The instance's default policy.
pub fn instance_defaults(conn: &mut DbConn) -> Result<Policy, StorageError> {
    Ok(settings::get(conn, DEFAULTS_SETTING)?
        .map(|t| Policy::from_lines(&t))
        .unwrap_or(Policy::BUILT_IN))
}

/// `account_id`'s policy: their choices over the instance's defaults.
pub fn policy_of(conn: &mut DbConn, account_id: i64) -> Result<Policy, StorageError> {
    let defaults = instance_defaults(conn)?;
    Ok(match store::policy(conn, account_id)? {
        Some(row) => defaults.with(&row),
        None => defaults,
    })
}

/// A change to a person's policy: each field given replaces the stored one (`Some(None)`
/// goes back to the instance default).
#[derive(Debug, Clone, Default)]
pub struct PolicyChanges {
    pub for_not_following: Option<String>,
    pub for_not_followers: Option<String>,
    pub for_new_accounts: Option<String>,
    pub for_private_mentions: Option<String>,
    pub for_limited_accounts: Option<String>,
    pub new_account_days: Option<Option<i32>>,
    pub new_domain_days: Option<Option<i32>>,
    pub signal_many_digits: Option<Option<bool>>,
    pub signal_few_followers: Option<Option<bool>>,
    pub signal_no_avatar_bio: Option<Option<bool>>,
    pub dogpile_threshold: Option<Option<i32>>,
    pub dogpile_minutes: Option<Option<i32>>,
    pub message_requests: Option<Option<bool>>,
}

/// Applies `changes` to `account_id`'s stored policy, after checking every value (nothing is
/// changed if one is wrong).
pub fn update_policy(
    conn: &mut DbConn,
    account_id: i64,
    changes: PolicyChanges,
) -> Result<Result<Policy, CoreError>, StorageError> {
    let mut row = store::policy(conn, account_id)?.unwrap_or(PolicyRow {
        account_id,
        ..PolicyRow::default()
    });
    let actions = [
        (&changes.for_not_following, &mut row.for_not_following),
        (&changes.for_not_followers, &mut row.for_not_followers),
        (&changes.for_new_accounts, &mut row.for_new_accounts),
        (&changes.for_private_mentions, &mut row.for_private_mentions),
        (&changes.for_limited_accounts, &mut row.for_limited_accounts),
    ];
    for (given, slot) in actions {
        if let Some(v) = given {
            if let Err(e) = v.parse::<Action>() {
                return Ok(Err(e));
            }
            *slot = Some(v.clone());
        }
    }
    let ints = [
        (
            changes.new_account_days,
            &mut row.new_account_days,
            MAX_DAYS,
            "new_account_days",
        ),
        (
            changes.new_domain_days,
            &mut row.new_domain_days,
            MAX_DAYS,
            "new_domain_days",
        ),
        (
            changes.dogpile_threshold,
            &mut row.dogpile_threshold,
            MAX_THRESHOLD,
            "dogpile_threshold",
        ),
        (
            changes.dogpile_minutes,
            &mut row.dogpile_minutes,
            MAX_MINUTES,
            "dogpile_minutes",
        ),
    ];
    for (given, slot, max, name) in ints {
        if let Some(v) = given {
            if v.is_some_and(|n| !(0..=max).contains(&n)) {
                return Ok(Err(CoreError::Invalid(format!(
                    "{name} must be between 0 and {max}"
                ))));
            }
            *slot = v;
        }
    }
    let flags = [
        (changes.signal_many_digits, &mut row.signal_many_digits),
        (changes.signal_few_followers, &mut row.signal_few_followers),
        (changes.signal_no_avatar_bio, &mut row.signal_no_avatar_bio),
        (changes.message_requests, &mut row.message_requests),
    ];
    for (given, slot) in flags {
        if let Some(v) = given {
            *slot = v;
        }
    }
    row.updated_at = kith_storage::now();
    store::set_policy(conn, &row)?;
    Ok(Ok(policy_of(conn, account_id)?))
}

/// What the policy decided about one notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// Notify, hold or drop.
    pub action: Action,
    /// For a held or dropped direct message: keep the message itself from the recipient's
    /// home timeline too (a message request).
    pub hide_message: bool,
}

/// What `recipient`'s policy makes of a notification of `kind` from `sender` about `status`.
/// Called by the gate only, after its unconditional drops (self, blocks, mutes, …), for the
/// kinds Mastodon lets a policy filter (follows, mentions, favourites, boosts, posts).
pub fn decide(
    conn: &mut DbConn,
    recipient: &Account,
    sender: &Account,
    kind: crate::notifications::NotificationKind,
    status: Option<&kith_storage::statuses::Status>,
) -> Result<Decision, StorageError> {
    use crate::notifications::NotificationKind as K;
    let accept = Decision {
        action: Action::Accept,
        hide_message: false,
    };
    if store::permitted(conn, recipient.id, sender.id)? {
        return Ok(accept);
    }
    // Local staff reach everyone (their warnings and answers must not wait in a queue).
    if sender.is_local()
        && kith_storage::users::by_account_id(conn, sender.id)
            .is_ok_and(|u| matches!(u.role.as_str(), "admin" | "moderator"))
    {
        return Ok(accept);
    }
    let policy = policy_of(conn, recipient.id)?;
    let following = follows::between(conn, recipient.id, sender.id)?.is_some_and(|f| f.accepted);
    if following {
        return Ok(accept);
    }
    let now = kith_storage::now();
    let mut action = Action::Accept;
    let mut raise = |a: Action| action = action.max(a);
    raise(policy.for_not_following);
    // A follower of less than three days counts as none (Mastodon's rule).
    let follower = follows::between(conn, sender.id, recipient.id)?
        .is_some_and(|f| f.accepted && f.created_at <= now - Duration::days(3));
    if !follower {
        raise(policy.for_not_followers);
    }
    if limited(conn, recipient.id, sender)? {
        raise(policy.for_limited_accounts);
    }
    if policy.for_new_accounts != Action::Accept && looks_new(conn, sender, &policy, now)? {
        raise(policy.for_new_accounts);
    }
    let direct = status.filter(|s| kind == K::Mention && s.visibility == "direct");
    let private_mention = direct.is_some_and(|s| s.in_reply_to_account_id != Some(recipient.id));
    if private_mention {
        raise(policy.for_private_mentions);
    }
    // The dogpile shield counts every stranger's mention or reply, whatever else decided.
    if kind == K::Mention && policy.dogpile_threshold > 0 {
        let window_start = now - Duration::minutes(policy.dogpile_minutes.max(1));
        let hits = store::dogpile_hit(conn, recipient.id, sender.id, now, window_start)?;
        if hits > policy.dogpile_threshold {
            raise(Action::Filter);
        }
    }
    Ok(Decision {
        action,
        hide_message: private_mention && action != Action::Accept && policy.message_requests,
    })
}

/// Whether a moderator limited `sender` (their account, or their server) and the recipient
/// does not follow them.
fn limited(conn: &mut DbConn, recipient: i64, sender: &Account) -> Result<bool, StorageError> {
    if crate::domain_policy::silenced_for(conn, recipient, sender)? {
        return Ok(true);
    }
    Ok(kith_storage::moderation::state(conn, sender.id)?
        .silenced_at
        .is_some())
}

/// Whether `sender` counts as a new account under `policy`: its `published` date (else when it
/// was first seen here) or its server's first sighting is recent, or an enabled signal shows.
pub fn looks_new(
    conn: &mut DbConn,
    sender: &Account,
    policy: &Policy,
    now: NaiveDateTime,
) -> Result<bool, StorageError> {
    if sender.created_at > now - Duration::days(policy.new_account_days) {
        return Ok(true);
    }
    if let Some(domain) = sender.domain.as_deref() {
        if policy.new_domain_days > 0
            && store::domain_first_seen(conn, domain)?
                .is_some_and(|seen| seen > now - Duration::days(policy.new_domain_days))
        {
            return Ok(true);
        }
    }
    if policy.signal_many_digits && many_digits(&sender.username) {
        return Ok(true);
    }
    if policy.signal_no_avatar_bio
        && sender.avatar_url.is_none()
        && crate::html::html_to_text(&sender.note).trim().is_empty()
    {
        return Ok(true);
    }
    if policy.signal_few_followers {
        let stats = accounts::stats(conn, sender.id)?;
        if stats.followers_count < 3 && stats.statuses_count < 3 {
            return Ok(true);
        }
    }
    Ok(false)
}

/// A moderator releases everything `target`'s shields hold: each request is released as if
/// accepted, without letting its sender through for later notifications. Audited
/// (`release_notifications`). Returns how many requests were released.
pub fn moderator_release(
    conn: &mut DbConn,
    staff: crate::moderation::Staff,
    target: i64,
) -> Result<usize, CoreError> {
    if !accounts::by_id(conn, target)?.is_local() {
        return Err(CoreError::Invalid(
            "Only a local account's notifications can be released".into(),
        ));
    }
    crate::moderation::check_may_act_on(conn, staff, target)?;
    let n = crate::notifications::release_all(conn, target)?;
    crate::audit::record(
        conn,
        staff.account_id,
        "release_notifications",
        "account",
        &target.to_string(),
        None,
    )?;
    Ok(n)
}

/// Whether a username has "many digits": four or more.
pub fn many_digits(username: &str) -> bool {
    username.chars().filter(char::is_ascii_digit).count() >= 4
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_round_trip_through_their_lines() {
        let mut p = Policy::BUILT_IN;
        p.for_new_accounts = Action::Drop;
        p.dogpile_threshold = 3;
        p.message_requests = false;
        assert_eq!(Policy::from_lines(&p.to_lines()), p);
        assert_eq!(
            Policy::from_lines("nonsense\nfor_new_accounts=maybe"),
            Policy::BUILT_IN
        );
    }

    #[test]
    fn stored_choices_override_defaults_and_unset_ones_do_not() {
        let row = PolicyRow {
            for_not_following: Some("filter".into()),
            dogpile_threshold: Some(0),
            ..PolicyRow::default()
        };
        let p = Policy::BUILT_IN.with(&row);
        assert_eq!(p.for_not_following, Action::Filter);
        assert_eq!(p.dogpile_threshold, 0);
        assert_eq!(p.for_private_mentions, Action::Filter);
        assert_eq!(p.dogpile_minutes, 60);
    }

    #[test]
    fn actions_are_ordered_by_severity_and_parsed_strictly() {
        assert!(Action::Drop > Action::Filter && Action::Filter > Action::Accept);
        assert_eq!("drop".parse::<Action>().ok(), Some(Action::Drop));
        assert!("Drop".parse::<Action>().is_err());
        assert!("".parse::<Action>().is_err());
    }

    #[test]
    fn many_digits_means_four_or_more() {
        assert!(many_digits("troll83749201"));
        assert!(many_digits("a1b2c3d4"));
        assert!(!many_digits("h4x0r"));
        assert!(!many_digits("ana"));
    }
}
