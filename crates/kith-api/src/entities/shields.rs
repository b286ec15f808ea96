//! `NotificationPolicy` (v2, and `V1::NotificationPolicy`) and `NotificationRequest`, as
//! Mastodon 4.3 documents them. The policy carries Kith's own settings in a `kith` object
//! (clients that do not know it ignore it).

use super::account::Account;
use super::status::{accounts_view, statuses_view, Status};
use super::timestamp;
use kith_core::shields::{Action, Policy};
use kith_core::InstanceUrls;
use kith_storage::shields::Request;
use kith_storage::{accounts, statuses, DbConn, StorageError};
use serde::Serialize;
use std::collections::HashMap;

/// How much a person's shields hold.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Summary {
    /// Requests (senders with held notifications), counted up to 100.
    pub pending_requests_count: i64,
    /// Held notifications in those requests.
    pub pending_notifications_count: i64,
}

/// Mastodon's `NotificationPolicy`, plus `kith`.
#[derive(Debug, Clone, Serialize)]
pub struct NotificationPolicy {
    pub for_not_following: &'static str,
    pub for_not_followers: &'static str,
    pub for_new_accounts: &'static str,
    pub for_private_mentions: &'static str,
    pub for_limited_accounts: &'static str,
    pub summary: Summary,
    pub kith: KithShields,
}

/// Mastodon's `V1::NotificationPolicy` (booleans: filtered or not), plus `kith`.
#[derive(Debug, Clone, Serialize)]
pub struct V1NotificationPolicy {
    pub filter_not_following: bool,
    pub filter_not_followers: bool,
    pub filter_new_accounts: bool,
    pub filter_private_mentions: bool,
    pub summary: Summary,
    pub kith: KithShields,
}

/// Kith's shield settings (see `docs/moderation.md`, "Shields").
#[derive(Debug, Clone, Serialize)]
pub struct KithShields {
    pub new_account_days: i64,
    pub new_domain_days: i64,
    pub signal_many_digits: bool,
    pub signal_few_followers: bool,
    pub signal_no_avatar_bio: bool,
    pub dogpile_threshold: i64,
    pub dogpile_minutes: i64,
    pub message_requests: bool,
}

fn kith(p: &Policy) -> KithShields {
    KithShields {
        new_account_days: p.new_account_days,
        new_domain_days: p.new_domain_days,
        signal_many_digits: p.signal_many_digits,
        signal_few_followers: p.signal_few_followers,
        signal_no_avatar_bio: p.signal_no_avatar_bio,
        dogpile_threshold: p.dogpile_threshold,
        dogpile_minutes: p.dogpile_minutes,
        message_requests: p.message_requests,
    }
}

/// The v2 policy entity.
pub fn policy_to_api(p: &Policy, summary: Summary) -> NotificationPolicy {
    NotificationPolicy {
        for_not_following: p.for_not_following.as_str(),
        for_not_followers: p.for_not_followers.as_str(),
        for_new_accounts: p.for_new_accounts.as_str(),
        for_private_mentions: p.for_private_mentions.as_str(),
        for_limited_accounts: p.for_limited_accounts.as_str(),
        summary,
        kith: kith(p),
    }
}

/// The v1 policy entity: a value other than `accept` reads as filtered.
pub fn policy_to_v1(p: &Policy, summary: Summary) -> V1NotificationPolicy {
    V1NotificationPolicy {
        filter_not_following: p.for_not_following != Action::Accept,
        filter_not_followers: p.for_not_followers != Action::Accept,
        filter_new_accounts: p.for_new_accounts != Action::Accept,
        filter_private_mentions: p.for_private_mentions != Action::Accept,
        summary,
        kith: kith(p),
    }
}

/// Mastodon's `NotificationRequest`.
#[derive(Debug, Clone, Serialize)]
pub struct NotificationRequest {
    pub id: String,
    pub created_at: String,
    pub updated_at: String,
    pub account: Account,
    /// A string, as Mastodon sends it.
    pub notifications_count: String,
    pub last_status: Option<Status>,
    /// Always false: a dismissed request is deleted (Mastodon 4.3).
    pub dismissed: bool,
}

/// Renders `owner`'s requests: one query per kind of related row (accounts, statuses).
/// A request whose sender is gone is left out.
pub fn requests_view(
    c: &mut DbConn,
    rows: &[Request],
    owner: i64,
    urls: &InstanceUrls,
) -> Result<Vec<NotificationRequest>, StorageError> {
    let mut from_ids: Vec<i64> = rows.iter().map(|r| r.from_account_id).collect();
    from_ids.sort_unstable();
    from_ids.dedup();
    let account_rows: Vec<_> = accounts::with_stats_by_ids(c, &from_ids)?
        .into_iter()
        .map(|(a, _)| a)
        .collect();
    let from: HashMap<String, Account> = accounts_view(c, &account_rows, urls)?
        .into_iter()
        .map(|a| (a.id.clone(), a))
        .collect();
    let status_ids: Vec<i64> = rows.iter().filter_map(|r| r.last_status_id).collect();
    let status_rows = statuses::by_ids(c, &status_ids)?;
    // Rendered for the owner: the visibility rule applies as to every read.
    let shown: HashMap<String, Status> = statuses_view(c, &status_rows, Some(owner), urls)?
        .into_iter()
        .map(|s| (s.id.clone(), s))
        .collect();
    Ok(rows
        .iter()
        .filter_map(|r| {
            Some(NotificationRequest {
                id: r.id.to_string(),
                created_at: timestamp(r.created_at),
                updated_at: timestamp(r.updated_at),
                account: from.get(&r.from_account_id.to_string())?.clone(),
                notifications_count: r.notifications_count.to_string(),
                last_status: r
                    .last_status_id
                    .and_then(|id| shown.get(&id.to_string()).cloned()),
                dismissed: false,
            })
        })
        .collect())
}
