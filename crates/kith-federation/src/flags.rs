//! Moderation across instances: forwarding a report to the reported account's server as a
//! `Flag` from the instance actor, and reading `Flag`s other servers send (Mastodon's shape:
//! `object` = [account, statuses…]; Misskey's: one account, or an array with notes) into
//! reports attributed to the sending server. A received Flag only records a report; it never
//! acts on what it names.

use crate::objects::account::authority;
use crate::outbound::{self, Audience};
use kith_core::InstanceUrls;
use kith_storage::accounts::{self, Account};
use kith_storage::received_flags::{self, ReceivedFlag};
use kith_storage::{statuses, DbConn, OptionalExt, StorageError};
use serde_json::Value;

/// Most URIs read from one Flag's `object`.
const MAX_FLAG_OBJECTS: usize = 100;
/// Longest comment kept from a Flag, in characters.
const MAX_FLAG_COMMENT: usize = 5_000;

/// Forwards a report about `target` (a remote account) to its server: a `Flag` from the
/// instance actor naming the account and `status_uris`, with `comment`, queued in the caller's
/// transaction. The reporter is never named. For `POST /api/v1/reports` with `forward=true`.
pub fn forward_report(
    conn: &mut DbConn,
    urls: &InstanceUrls,
    target: &Account,
    status_uris: &[String],
    comment: &str,
) -> Result<(), StorageError> {
    if target.is_local() {
        return Ok(());
    }
    let actor = accounts::instance_actor(conn)?.ok_or(StorageError::NotFound)?;
    let activity = outbound::flag(urls, &actor, target, status_uris, comment);
    outbound::send(conn, urls, &actor, activity, &Audience::to(target.clone()))
}

/// The URIs a Flag's `object` names: a string, an object with an `id`, or an array of those.
pub fn flag_objects(activity: &Value) -> Vec<String> {
    let one = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("id").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    };
    let mut out: Vec<String> = match activity.get("object") {
        Some(Value::Array(items)) => items.iter().filter_map(one).collect(),
        Some(v) => one(v).into_iter().collect(),
        None => Vec::new(),
    };
    out.retain(|u| url::Url::parse(u).is_ok());
    out.truncate(MAX_FLAG_OBJECTS);
    out.dedup();
    out
}

/// Records a received Flag from `sender` as a report, unless the sender's domain has its
/// reports rejected. Which local account and statuses it is about is worked out here; objects
/// not on this instance are kept as named and nothing else is done with them.
pub fn receive_flag(
    conn: &mut DbConn,
    urls: &InstanceUrls,
    activity: &Value,
    sender: &Account,
) -> Result<(), StorageError> {
    let origin = url::Url::parse(&sender.ap_id)
        .ok()
        .and_then(|u| authority(&u))
        .unwrap_or_default();
    if kith_core::domain_policy::rejects_reports(conn, &origin)? {
        tracing::info!(%origin, "Flag ignored: reports from this domain are rejected");
        return Ok(());
    }
    let objects = flag_objects(activity);
    let mut account_id = None;
    let mut status_ids = Vec::new();
    for uri in &objects {
        let Ok(parsed) = url::Url::parse(uri) else {
            continue;
        };
        if !urls.is_local(&parsed) {
            continue;
        }
        if let Some(a) = accounts::by_ap_id(conn, uri).optional()? {
            if a.is_local() && account_id.is_none() {
                account_id = Some(a.id);
            }
            continue;
        }
        if let Some(s) = statuses::by_ap_id(conn, uri).optional()? {
            if s.local {
                status_ids.push(s.id.to_string());
                account_id.get_or_insert(s.account_id);
            }
        }
    }
    let comment: String = activity
        .get("content")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .chars()
        .take(MAX_FLAG_COMMENT)
        .collect();
    let ap_id = activity
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    // REPORTS: becomes `kith_core::reports::create` (attributed to the sending instance)
    // once the reports queue lands.
    received_flags::insert(
        conn,
        &ReceivedFlag {
            id: kith_storage::id::new_id(),
            ap_id,
            origin_domain: origin,
            actor_ap_id: sender.ap_id.clone(),
            account_id,
            status_ids: serde_json::to_string(&status_ids).unwrap_or_else(|_| "[]".into()),
            object_uris: serde_json::to_string(&objects).unwrap_or_else(|_| "[]".into()),
            comment,
            created_at: kith_storage::now(),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::flag_objects;
    use serde_json::json;

    #[test]
    fn flag_objects_read_both_shapes() {
        let mastodon =
            json!({"object": ["https://a.example/users/x", "https://a.example/statuses/1"]});
        assert_eq!(flag_objects(&mastodon).len(), 2);
        let misskey = json!({"object": "https://a.example/users/x"});
        assert_eq!(flag_objects(&misskey), ["https://a.example/users/x"]);
        let objects = json!({"object": [{"id": "https://a.example/notes/9"}, 7, "not a url"]});
        assert_eq!(flag_objects(&objects), ["https://a.example/notes/9"]);
    }
}
