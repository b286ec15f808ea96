//! `Status`, `Relationship`, `Notification`, `Context` and `Tag`, and the view functions that
//! assemble them for a viewer in one blocking database task.

use super::account::{account_to_api, Account, Counts};
use super::timestamp;
use kith_core::InstanceUrls;
use kith_storage::accounts::{self, Account as AccountRow};
use kith_storage::activity::{self as acts, Notification as NotificationRow};
use kith_storage::statuses::{self, Status as StatusRow};
use kith_storage::{follows, DbConn, StorageError};
use serde::Serialize;

/// Mastodon's `Status`.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub id: String,
    pub uri: String,
    pub url: Option<String>,
    pub created_at: String,
    pub edited_at: Option<String>,
    pub account: Account,
    pub content: String,
    pub visibility: String,
    pub sensitive: bool,
    pub spoiler_text: String,
    pub media_attachments: Vec<serde_json::Value>,
    pub application: Option<serde_json::Value>,
    pub mentions: Vec<Mention>,
    pub tags: Vec<Tag>,
    pub emojis: Vec<serde_json::Value>,
    pub reblogs_count: i64,
    pub favourites_count: i64,
    pub replies_count: i64,
    pub in_reply_to_id: Option<String>,
    pub in_reply_to_account_id: Option<String>,
    pub reblog: Option<Box<Status>>,
    pub poll: Option<serde_json::Value>,
    pub card: Option<serde_json::Value>,
    pub language: Option<String>,
    pub text: Option<String>,
    pub favourited: Option<bool>,
    pub reblogged: Option<bool>,
    pub muted: Option<bool>,
    pub bookmarked: Option<bool>,
    pub pinned: Option<bool>,
    pub filtered: Vec<serde_json::Value>,
}

/// A mention inside a `Status`.
#[derive(Debug, Clone, Serialize)]
pub struct Mention {
    pub id: String,
    pub username: String,
    pub url: String,
    pub acct: String,
}

/// A hashtag inside a `Status`.
#[derive(Debug, Clone, Serialize)]
pub struct Tag {
    pub name: String,
    pub url: String,
}

/// Mastodon's `Relationship`.
#[derive(Debug, Clone, Serialize)]
pub struct Relationship {
    pub id: String,
    pub following: bool,
    pub showing_reblogs: bool,
    pub notifying: bool,
    pub languages: Option<Vec<String>>,
    pub followed_by: bool,
    pub blocking: bool,
    pub blocked_by: bool,
    pub muting: bool,
    pub muting_notifications: bool,
    pub muting_expires_at: Option<String>,
    pub requested: bool,
    pub requested_by: bool,
    pub domain_blocking: bool,
    pub endorsed: bool,
    pub note: String,
}

/// Mastodon's `Notification`.
#[derive(Debug, Clone, Serialize)]
pub struct Notification {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub created_at: String,
    pub group_key: String,
    pub account: Account,
    pub status: Option<Status>,
}

/// An account with its real counts.
pub fn account_view(
    c: &mut DbConn,
    row: &AccountRow,
    urls: &InstanceUrls,
) -> Result<Account, StorageError> {
    let (followers, following) = follows::counts(c, row.id)?;
    let statuses = statuses::count_by_account(c, row.id)?;
    let mut account = account_to_api(
        row,
        Counts {
            followers,
            following,
            statuses,
        },
        urls,
    );
    account.last_status_at =
        statuses::last_status_at(c, row.id)?.map(|t| t.format("%Y-%m-%d").to_string());
    Ok(account)
}

fn attachments(row: &StatusRow) -> Vec<serde_json::Value> {
    let list: Vec<kith_federation::protocol::note::Attachment> =
        serde_json::from_str(&row.attachments).unwrap_or_default();
    list.into_iter()
        .enumerate()
        .map(|(n, a)| {
            let kind = match a.media_type.as_deref().unwrap_or("") {
                t if t.starts_with("image/gif") => "gifv",
                t if t.starts_with("image/") => "image",
                t if t.starts_with("video/") => "video",
                t if t.starts_with("audio/") => "audio",
                _ => "unknown",
            };
            serde_json::json!({
                "id": format!("{}{n}", row.id), "type": kind, "url": a.url, "preview_url": a.url,
                "remote_url": a.url, "meta": {}, "description": a.description, "blurhash": null,
            })
        })
        .collect()
}

/// One status as `viewer` sees it (the caller has checked that it may).
pub fn status_view(
    c: &mut DbConn,
    row: &StatusRow,
    viewer: Option<i64>,
    urls: &InstanceUrls,
) -> Result<Status, StorageError> {
    let author = accounts::by_id(c, row.account_id)?;
    let reblog = match row.reblog_of_id {
        Some(id) => {
            let original = statuses::by_id(c, id)?;
            Some(Box::new(status_view(c, &original, viewer, urls)?))
        }
        None => None,
    };
    let mut mentions = Vec::new();
    for id in statuses::mentions(c, row.id)? {
        let a = accounts::by_id(c, id)?;
        mentions.push(Mention {
            id: a.id.to_string(),
            username: a.username.clone(),
            url: a.url.clone().unwrap_or_else(|| a.ap_id.clone()),
            acct: a.acct(),
        });
    }
    let tags = statuses::tags(c, row.id)?
        .into_iter()
        .map(|name| Tag {
            url: format!("{}tags/{name}", urls.base()),
            name,
        })
        .collect();
    // A boost shows the viewer's relation to the boosted post, as Mastodon does.
    let subject = row.reblog_of_id.unwrap_or(row.id);
    let (favourited, reblogged) = match viewer {
        Some(v) => (
            Some(acts::is_favourited(c, v, subject)?),
            Some(statuses::reblog_by(c, v, subject).is_ok()),
        ),
        None => (None, None),
    };
    Ok(Status {
        id: row.id.to_string(),
        uri: row.ap_id.clone(),
        url: row.url.clone().or_else(|| Some(row.ap_id.clone())),
        created_at: timestamp(row.created_at),
        edited_at: row.edited_at.map(timestamp),
        account: account_view(c, &author, urls)?,
        content: row.content.clone(),
        visibility: row.visibility.clone(),
        sensitive: row.sensitive,
        spoiler_text: row.spoiler_text.clone(),
        media_attachments: attachments(row),
        application: None,
        mentions,
        tags,
        emojis: Vec::new(),
        reblogs_count: statuses::count_reblogs(c, row.id)?,
        favourites_count: acts::count_favourites(c, row.id)?,
        replies_count: statuses::count_replies(c, row.id)?,
        in_reply_to_id: row.in_reply_to_id.map(|i| i.to_string()),
        in_reply_to_account_id: row.in_reply_to_account_id.map(|i| i.to_string()),
        reblog,
        poll: None,
        card: None,
        language: row.language.clone(),
        text: None,
        favourited,
        reblogged,
        muted: viewer.map(|_| false),
        bookmarked: viewer.map(|_| false),
        pinned: None,
        filtered: Vec::new(),
    })
}

/// Several statuses as `viewer` sees them, dropping any it may not see (belt and braces: the
/// list queries filter already) and boosts of posts it may not see.
pub fn statuses_view(
    c: &mut DbConn,
    rows: &[StatusRow],
    viewer: Option<i64>,
    urls: &InstanceUrls,
) -> Result<Vec<Status>, StorageError> {
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        if !statuses::is_visible(c, row.id, viewer)? {
            continue;
        }
        if let Some(orig) = row.reblog_of_id {
            if !statuses::is_visible(c, orig, viewer)? {
                continue;
            }
        }
        out.push(status_view(c, row, viewer, urls)?);
    }
    Ok(out)
}

/// How `me` and `other` relate.
pub fn relationship(c: &mut DbConn, me: i64, other: i64) -> Result<Relationship, StorageError> {
    let out = follows::between(c, me, other)?;
    let inc = follows::between(c, other, me)?;
    Ok(Relationship {
        id: other.to_string(),
        following: out.as_ref().is_some_and(|f| f.accepted),
        showing_reblogs: out.is_some(),
        notifying: false,
        languages: None,
        followed_by: inc.as_ref().is_some_and(|f| f.accepted),
        blocking: follows::blocks(c, me, other)?,
        blocked_by: follows::blocks(c, other, me)?,
        muting: false,
        muting_notifications: false,
        muting_expires_at: None,
        requested: out.as_ref().is_some_and(|f| !f.accepted),
        requested_by: inc.as_ref().is_some_and(|f| !f.accepted),
        domain_blocking: false,
        endorsed: false,
        note: String::new(),
    })
}

/// A notification as its owner sees it; `None` if its status is no longer visible.
pub fn notification_view(
    c: &mut DbConn,
    n: &NotificationRow,
    urls: &InstanceUrls,
) -> Result<Option<Notification>, StorageError> {
    let from = accounts::by_id(c, n.from_account_id)?;
    let status = match n.status_id {
        Some(id) => {
            if !statuses::is_visible(c, id, Some(n.account_id))? {
                return Ok(None);
            }
            let row = statuses::by_id(c, id)?;
            Some(status_view(c, &row, Some(n.account_id), urls)?)
        }
        None => None,
    };
    Ok(Some(Notification {
        id: n.id.to_string(),
        kind: n.kind.clone(),
        created_at: timestamp(n.created_at),
        group_key: format!("ungrouped-{}", n.id),
        account: account_view(c, &from, urls)?,
        status,
    }))
}
