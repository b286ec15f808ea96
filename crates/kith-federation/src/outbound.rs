//! Outgoing activities: built here (the only place that writes ActivityStreams JSON for
//! sending) and recorded in the persistent outbox inside the caller's transaction, so an
//! activity exists exactly when the change that caused it does. The delivery worker sends them.

use crate::objects::account::authority;
use crate::protocol::federation_context;
use crate::protocol::note::{NoteOut, PUBLIC};
use kith_core::InstanceUrls;
use kith_storage::accounts::Account;
use kith_storage::{follows, outbox, DbConn, StorageError};
use serde_json::{json, Value};
use url::Url;

/// Where an activity goes.
#[derive(Debug, Default, Clone)]
pub struct Audience {
    /// Deliver to the remote followers of this local account (shared inboxes, once each).
    pub followers_of: Option<i64>,
    /// And to these accounts' inboxes (mentioned, followed, …).
    pub accounts: Vec<Account>,
}

impl Audience {
    /// Just this account: a one-to-one activity (Follow, Accept, Like, Block, …).
    pub fn to(account: Account) -> Audience {
        Audience {
            accounts: vec![account],
            ..Default::default()
        }
    }
}

/// Wraps an activity with the context and records it for delivery to `audience`. Local
/// recipients are left out: their side of the change is made in the same transaction.
pub fn send(
    conn: &mut DbConn,
    urls: &InstanceUrls,
    actor: &Account,
    activity: Value,
    audience: &Audience,
) -> Result<(), StorageError> {
    send_with_context(conn, urls, actor, activity, audience, federation_context())
}

/// [`send`] with another `@context` (cohort activities add Kith's terms).
pub fn send_with_context(
    conn: &mut DbConn,
    urls: &InstanceUrls,
    actor: &Account,
    mut activity: Value,
    audience: &Audience,
    context: Value,
) -> Result<(), StorageError> {
    let mut inboxes: Vec<String> = Vec::new();
    if let Some(owner) = audience.followers_of {
        inboxes.extend(follows::remote_follower_inboxes(conn, owner)?);
    }
    for a in &audience.accounts {
        if a.is_local() {
            continue;
        }
        // A fan-out batches by server (shared inboxes); a one-to-one activity (Follow, Accept,
        // Like, Block, …) goes to the person's own inbox, as Mastodon does.
        let inbox = match (&audience.followers_of, &a.shared_inbox_url) {
            (Some(_), Some(shared)) => shared.clone(),
            _ => a.inbox_url.clone(),
        };
        inboxes.push(inbox);
    }
    let mut targets: Vec<(String, String)> = inboxes
        .into_iter()
        .filter_map(|i| {
            let url = Url::parse(&i).ok()?;
            if urls.is_local(&url) {
                return None;
            }
            Some((i, authority(&url)?))
        })
        .collect();
    targets.sort();
    targets.dedup();
    // Nothing is queued for a suspended server (domain policies).
    let mut kept = Vec::with_capacity(targets.len());
    for t in targets {
        if !kith_core::domain_policy::refuses(conn, &t.1, false)? {
            kept.push(t);
        }
    }
    let targets = kept;
    if targets.is_empty() {
        return Ok(());
    }
    if let Value::Object(map) = &mut activity {
        map.insert("@context".into(), context);
    }
    let ap_id = activity["id"].as_str().unwrap_or_default().to_owned();
    outbox::enqueue(conn, &ap_id, actor.id, &activity.to_string(), &targets)?;
    Ok(())
}

fn base(id: Url, kind: &str, actor: &Account, object: Value) -> Value {
    json!({ "id": id.as_str(), "type": kind, "actor": actor.ap_id, "object": object })
}

/// `Follow`.
pub fn follow(urls: &InstanceUrls, actor: &Account, target: &Account, id: &str) -> Value {
    let _ = urls;
    json!({ "id": id, "type": "Follow", "actor": actor.ap_id, "object": target.ap_id, "to": [target.ap_id] })
}

/// `Accept` or `Reject` of a follow request `(follow_id, follower)`.
pub fn answer_follow(
    urls: &InstanceUrls,
    kind: &str,
    actor: &Account,
    follow_id: &str,
    follower: &Account,
) -> Value {
    let mut v = base(
        urls.activity(kind),
        kind,
        actor,
        json!({ "id": follow_id, "type": "Follow", "actor": follower.ap_id, "object": actor.ap_id }),
    );
    v["to"] = json!([follower.ap_id]);
    v
}

/// `Undo` of an earlier activity of the actor's.
pub fn undo(urls: &InstanceUrls, actor: &Account, inner: Value) -> Value {
    let to = inner.get("to").cloned().unwrap_or(json!([]));
    let cc = inner.get("cc").cloned();
    let mut v = base(urls.activity("Undo"), "Undo", actor, inner);
    v["to"] = to;
    if let Some(cc) = cc {
        v["cc"] = cc;
    }
    v
}

/// `Create` or `Update` of a Note.
pub fn note_activity(urls: &InstanceUrls, kind: &str, actor: &Account, note: &NoteOut) -> Value {
    let id = if kind == "Create" {
        format!("{}/activity", note.id)
    } else {
        urls.activity(kind).to_string()
    };
    json!({
        "id": id, "type": kind, "actor": actor.ap_id, "published": note.published.to_rfc3339(),
        "to": note.to, "cc": note.cc, "object": note.to_json(),
    })
}

/// `Create` of a poll vote: a Note naming the chosen option (`name`) in reply to the poll's
/// `Question`, to its author only (as Mastodon sends votes). `id` is the vote's id.
pub fn vote(actor: &Account, id: &str, question: &str, author: &str, name: &str) -> Value {
    let note = json!({
        "id": id, "type": "Note", "name": name, "attributedTo": actor.ap_id,
        "inReplyTo": question, "to": [author],
    });
    json!({
        "id": format!("{id}/activity"), "type": "Create", "actor": actor.ap_id,
        "to": [author], "object": note,
    })
}

/// `Delete` of a Note, with a Tombstone.
pub fn delete_note(
    urls: &InstanceUrls,
    actor: &Account,
    note_id: &str,
    to: Vec<String>,
    cc: Vec<String>,
) -> Value {
    let mut v = base(
        urls.activity("Delete"),
        "Delete",
        actor,
        json!({ "id": note_id, "type": "Tombstone" }),
    );
    v["to"] = json!(to);
    v["cc"] = json!(cc);
    v
}

/// `Delete` of a local actor (the account was deleted), to the public, as Mastodon sends it.
pub fn delete_actor(actor: &Account) -> Value {
    json!({
        "id": format!("{}#delete", actor.ap_id), "type": "Delete", "actor": actor.ap_id,
        "object": actor.ap_id, "to": [PUBLIC],
    })
}

/// `Like`.
pub fn like(actor: &Account, id: &str, object: &str, author: &str) -> Value {
    json!({ "id": id, "type": "Like", "actor": actor.ap_id, "object": object, "to": [author] })
}

/// `Announce` (boost) of `object`, public.
pub fn announce(
    actor: &Account,
    id: &str,
    object: &str,
    author: &str,
    published: chrono::NaiveDateTime,
) -> Value {
    let published =
        chrono::DateTime::<chrono::Utc>::from_naive_utc_and_offset(published, chrono::Utc)
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    json!({
        "id": id, "type": "Announce", "actor": actor.ap_id, "object": object, "published": published,
        "to": [PUBLIC], "cc": [author, actor.followers_url],
    })
}

/// `Update` of the actor itself (profile edits).
pub fn update_person(urls: &InstanceUrls, actor: &Account, person: Value) -> Value {
    let mut v = base(urls.activity("Update"), "Update", actor, person);
    v["to"] = json!([PUBLIC]);
    v["cc"] = json!([actor.followers_url]);
    v
}

/// `Block`.
pub fn block(actor: &Account, id: &str, target: &Account) -> Value {
    json!({ "id": id, "type": "Block", "actor": actor.ap_id, "object": target.ap_id, "to": [target.ap_id] })
}

/// `Flag` (a forwarded report) from the instance actor: `object` is the reported account and
/// the reported statuses' ids, `content` the comment. Nothing names the reporter.
pub fn flag(
    urls: &InstanceUrls,
    instance_actor: &Account,
    target: &Account,
    status_uris: &[String],
    comment: &str,
) -> Value {
    let mut object = vec![Value::String(target.ap_id.clone())];
    object.extend(status_uris.iter().cloned().map(Value::String));
    let mut v = base(
        urls.activity("Flag"),
        "Flag",
        instance_actor,
        Value::Array(object),
    );
    v["content"] = Value::String(comment.to_owned());
    v["to"] = json!([target.ap_id]);
    v
}
