//! Mastodon 4.3's grouped notifications: `NotificationGroup` and `GroupedNotificationsResults`,
//! assembled from notification rows (which the caller cut from the one notifications listing,
//! `kith_storage::activity`) by their group keys (`kith_core::notification_groups`).

use super::account::Account;
use super::status::{accounts_by_ids_view, group_key, statuses_view, Status};
use super::timestamp;
use kith_core::InstanceUrls;
use kith_storage::activity::Notification as NotificationRow;
use kith_storage::{statuses, DbConn, StorageError};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// How many accounts a group names as its sample (Mastodon's `SAMPLE_ACCOUNTS_SIZE`).
const SAMPLE_ACCOUNTS: usize = 8;

/// One group of notifications.
#[derive(Debug, Clone, Serialize)]
pub struct NotificationGroup {
    pub group_key: String,
    pub notifications_count: i64,
    #[serde(rename = "type")]
    pub kind: String,
    /// A number, as Mastodon sends it (its other ids are strings).
    pub most_recent_notification_id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_min_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_max_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_page_notification_at: Option<String>,
    pub sample_account_ids: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_id: Option<String>,
}

/// The answer of `GET /api/v2/notifications` and `GET /api/v2/notifications/:group_key`:
/// the groups, and the accounts and statuses they name, each once.
#[derive(Debug, Clone, Serialize)]
pub struct GroupedNotifications {
    pub accounts: Vec<Account>,
    pub statuses: Vec<Status>,
    pub notification_groups: Vec<NotificationGroup>,
    /// Asked for with `expand_accounts=partial_avatars`: Kith renders every account in full
    /// in `accounts`, so this is empty then (and absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partial_accounts: Option<Vec<Account>>,
}

/// Groups `rows` (one owner's notifications, newest first) by their keys, `grouped` naming
/// the kinds grouped (`None`: the default ones). A group's count and sample are of the rows
/// given; `paginated` adds the page's bounds to each group, as Mastodon does for its list.
/// A group about a post `owner` may no longer see is left out, as in the v1 list.
pub fn grouped_view(
    c: &mut DbConn,
    rows: &[NotificationRow],
    owner: i64,
    grouped: Option<&[String]>,
    paginated: bool,
    urls: &InstanceUrls,
) -> Result<GroupedNotifications, StorageError> {
    let mut order: Vec<String> = Vec::new();
    let mut members: HashMap<String, Vec<&NotificationRow>> = HashMap::new();
    for row in rows {
        let key = group_key(row, grouped);
        let list = members.entry(key.clone()).or_default();
        if list.is_empty() {
            order.push(key);
        }
        list.push(row);
    }
    let mut status_ids: Vec<i64> = rows.iter().filter_map(|n| n.status_id).collect();
    status_ids.sort_unstable();
    status_ids.dedup();
    let status_rows = statuses::by_ids(c, &status_ids)?;
    let rendered: HashMap<String, Status> = statuses_view(c, &status_rows, Some(owner), urls)?
        .into_iter()
        .map(|s| (s.id.clone(), s))
        .collect();
    let mut groups = Vec::new();
    let mut account_ids: Vec<i64> = Vec::new();
    let mut statuses_out: Vec<Status> = Vec::new();
    let mut statuses_seen: HashSet<String> = HashSet::new();
    for key in order {
        let Some(list) = members.get(&key) else {
            continue;
        };
        let (Some(newest), Some(oldest)) = (list.first(), list.last()) else {
            continue;
        };
        let status_id = newest.status_id.map(|s| s.to_string());
        if let Some(id) = &status_id {
            let Some(status) = rendered.get(id) else {
                continue;
            };
            if statuses_seen.insert(id.clone()) {
                statuses_out.push(status.clone());
            }
        }
        let mut sample: Vec<i64> = Vec::new();
        for n in list {
            if sample.len() == SAMPLE_ACCOUNTS {
                break;
            }
            if !sample.contains(&n.from_account_id) {
                sample.push(n.from_account_id);
            }
        }
        account_ids.extend(&sample);
        groups.push(NotificationGroup {
            group_key: key.clone(),
            notifications_count: list.len() as i64,
            kind: newest.kind.clone(),
            most_recent_notification_id: newest.id,
            page_min_id: paginated.then(|| oldest.id.to_string()),
            page_max_id: paginated.then(|| newest.id.to_string()),
            latest_page_notification_at: paginated.then(|| timestamp(newest.created_at)),
            sample_account_ids: sample.iter().map(i64::to_string).collect(),
            status_id,
        });
    }
    let mut seen = HashSet::new();
    account_ids.retain(|id| seen.insert(*id));
    Ok(GroupedNotifications {
        accounts: accounts_by_ids_view(c, &account_ids, urls)?,
        statuses: statuses_out,
        notification_groups: groups,
        partial_accounts: None,
    })
}
