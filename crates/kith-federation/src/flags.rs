//! Moderation across instances: forwarding a report to the reported account's server as a
//! `Flag` from the instance actor, and reading `Flag`s other servers send (Mastodon's shape:
//! `object` = [account, statuses…]; Misskey's: one account, or an array with notes) into
//! reports in the staff queue (`kith_core::reports::create`, reporter = the actor that sent
//! it). A Flag naming no local account is only kept in `received_flags`. A received Flag never
//! acts on what it names.

use crate::objects::account::authority;
use crate::outbound::{self, Audience};
use kith_core::reports::{self, Category, NewReport};
use kith_core::{CoreError, InstanceUrls};
use kith_storage::accounts::{self, Account};
use kith_storage::received_flags::{self, ReceivedFlag};
use kith_storage::{moderation, statuses, DbConn, OptionalExt, StorageError};
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

/// Files a received Flag from `sender` as a report, unless the sender's domain has its reports
/// rejected: reporter = `sender`, target = the first local account it names (or the author of
/// the first local status it names), statuses = the local statuses it names that are the
/// target's (others dropped), `origin_domain` = the sender's domain, `ap_id` = the Flag's id;
/// the staff are notified. A redelivered Flag (same id) files nothing more. A Flag naming no
/// local account is kept in `received_flags` as it came, and nothing else is done with it.
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
    let mut named_statuses = Vec::new();
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
                named_statuses.push((s.id, s.account_id));
            }
        }
    }
    // With no account named, the first named local status's author is the target.
    let account_id = account_id.or_else(|| named_statuses.first().map(|&(_, a)| a));
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
    let Some(target) = account_id else {
        return received_flags::insert(
            conn,
            &ReceivedFlag {
                id: kith_storage::id::new_id(),
                ap_id,
                origin_domain: origin,
                actor_ap_id: sender.ap_id.clone(),
                account_id: None,
                status_ids: "[]".into(),
                object_uris: serde_json::to_string(&objects).unwrap_or_else(|_| "[]".into()),
                comment,
                created_at: kith_storage::now(),
            },
        );
    };
    if !ap_id.is_empty() && moderation::report_with_ap_id_exists(conn, &ap_id)? {
        return Ok(());
    }
    let status_ids = named_statuses
        .into_iter()
        .filter(|&(_, author)| author == target)
        .map(|(id, _)| id)
        .collect();
    let filed = reports::create(
        conn,
        NewReport {
            reporter_account_id: sender.id,
            target_account_id: target,
            status_ids,
            category: Category::Other,
            comment,
            rule_ids: Vec::new(),
            forward: false,
            origin_domain: Some(origin),
            ap_id: (!ap_id.is_empty()).then_some(ap_id),
        },
    );
    match filed {
        Ok(_) => Ok(()),
        Err(CoreError::Storage(e)) => Err(e),
        Err(e) => {
            tracing::info!(error = %e, "Flag not filed");
            Ok(())
        }
    }
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
