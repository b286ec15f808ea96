//! Moderation cohorts: instances whose admins agreed, instance actor to instance actor, to
//! share moderation work (wire format in `docs/federation.md`).
//!
//! - Forming: `Invite` (object: the inviter's cohort, target: the other instance actor) and
//!   `Accept` of it; `Leave` ends it from either side.
//! - Reports about third-party (non-member, remote) accounts filed here by local people go to
//!   every member as a `Flag` from the instance actor with `kith:cohortReport`, naming no
//!   reporter ([`share_report`]); a member files it in its queue, marked as from the cohort.
//! - Local moderators' decisions on remote domains and accounts go to every member as a
//!   `Block` from the instance actor with a `kith:cohortDecision` ([`publish_domain`],
//!   [`publish_account`]); lifting one sends its `Undo` ([`withdraw`]). A member applies, holds
//!   or ignores it as its policy for the sender says (`kith_core::shared_moderation`), with
//!   the sender as provenance.
//! - Sovereignty: a cohort message from an actor that is not a member, or one about this
//!   instance's own domain or local accounts, is refused and written to the audit log.

use crate::objects::account::{authority, ApAccount};
use crate::outbound::{self, Audience};
use crate::protocol::federation_context;
use crate::{Data, FederationError};
use activitypub_federation::fetch::object_id::ObjectId;
use kith_core::domain_policy::{self, Severity};
use kith_core::reports::{self, Category, NewReport};
use kith_core::shared_moderation::{self as shared, Entry, Mode, Source};
use kith_core::{limits, InstanceUrls};
use kith_storage::accounts::{self, Account};
use kith_storage::domain_policies::DomainPolicy;
use kith_storage::sharing::{self as store, CohortMember};
use kith_storage::{statuses, DbConn, OptionalExt, StorageError};
use serde_json::{json, Value};

/// Most invitations kept waiting for an admin's answer (anyone may send one).
const MAX_OPEN_INVITATIONS: usize = 50;

/// The namespace of Kith's JSON-LD terms.
pub const KITH_NS: &str = "urn:kith:ns#";

/// The `@context` of cohort activities: Kith's usual one plus the `kith:` terms.
pub fn cohort_context() -> Value {
    let mut ctx = federation_context();
    if let Value::Array(items) = &mut ctx {
        items.push(json!({
            "kith": KITH_NS,
            "ModerationCohort": "kith:ModerationCohort",
            "cohortReport": "kith:cohortReport",
            "cohortDecision": "kith:cohortDecision",
            "targetType": "kith:targetType",
            "domain": "kith:domain",
            "severity": "kith:severity",
            "rejectMedia": "kith:rejectMedia",
            "rejectReports": "kith:rejectReports",
            "reason": "kith:reason"
        }));
    }
    ctx
}

/// A Kith term read from an activity, by its short name, `kith:` name or full IRI.
fn term<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    v.get(name)
        .or_else(|| v.get(format!("kith:{name}").as_str()))
        .or_else(|| v.get(format!("{KITH_NS}{name}").as_str()))
}

fn cohort_id(urls: &InstanceUrls) -> String {
    format!("{}#cohort", urls.instance_actor())
}

fn instance_actor(conn: &mut DbConn) -> Result<Account, StorageError> {
    accounts::instance_actor(conn)?.ok_or(StorageError::NotFound)
}

/// Records `activity` (with the cohort context) from the instance actor to `to`.
fn send(
    conn: &mut DbConn,
    urls: &InstanceUrls,
    mut activity: Value,
    to: Vec<Account>,
) -> Result<(), StorageError> {
    let actor = instance_actor(conn)?;
    activity["actor"] = Value::String(actor.ap_id.clone());
    activity["to"] = json!(to.iter().map(|a| a.ap_id.clone()).collect::<Vec<_>>());
    outbound::send_with_context(
        conn,
        urls,
        &actor,
        activity,
        &Audience {
            followers_of: None,
            accounts: to,
        },
        cohort_context(),
    )
}

/// The instance actors of the current members.
fn member_accounts(conn: &mut DbConn) -> Result<Vec<(CohortMember, Account)>, StorageError> {
    let mut out = Vec::new();
    for m in store::members(conn)? {
        if m.state != "member" {
            continue;
        }
        if let Some(a) = accounts::by_ap_id(conn, &m.actor_id).optional()? {
            out.push((m, a));
        }
    }
    Ok(out)
}

/// Invites the instance whose actor is `actor_url` (or the instance at that URL: its `/actor`)
/// into the cohort; their decisions will be treated as `policy` says. If that instance had
/// invited this one, this accepts instead.
pub async fn invite(
    data: &Data,
    staff: i64,
    actor_url: &str,
    policy: Mode,
) -> Result<CohortMember, FederationError> {
    let mut url = url::Url::parse(actor_url.trim())
        .map_err(|_| FederationError::Invalid(format!("{actor_url:?} is not a URL")))?;
    if url.path() == "/" || url.path().is_empty() {
        url.set_path("/actor");
    }
    if data.urls.is_local(&url) {
        return Err(FederationError::Invalid(
            "an instance cannot invite itself".into(),
        ));
    }
    let other = crate::fetch::dereference(&ObjectId::<ApAccount>::from(url), data)
        .await?
        .into_account();
    let urls = data.urls.clone();
    let member = data
        .db
        .write(move |c| {
            let now = kith_storage::now();
            if let Some(m) = store::member_by_actor(c, &other.ap_id).optional()? {
                if m.state == "invitation" {
                    return accept_in(c, &urls, staff, m.id, policy);
                }
                if m.state == "member" {
                    return Ok(m);
                }
            }
            let invite_id = urls.activity("Invite").to_string();
            let m = CohortMember {
                id: kith_storage::id::new_id(),
                actor_id: other.ap_id.clone(),
                domain: domain_of(&other.ap_id),
                state: "invited".into(),
                policy: policy.as_str().into(),
                invite_id: invite_id.clone(),
                created_at: now,
                updated_at: now,
            };
            store::upsert_member(c, &m)?;
            let activity = json!({
                "id": invite_id, "type": "Invite",
                "object": {"id": cohort_id(&urls), "type": "ModerationCohort"},
                "target": other.ap_id,
            });
            send(c, &urls, activity, vec![other.clone()])?;
            kith_core::audit::record(c, staff, "cohort_invite", "cohort", &m.actor_id, None)?;
            Ok(m)
        })
        .await?;
    data.delivery_wakeup.notify_one();
    Ok(member)
}

fn domain_of(ap_id: &str) -> String {
    url::Url::parse(ap_id)
        .ok()
        .and_then(|u| authority(&u))
        .unwrap_or_default()
}

fn accept_in(
    c: &mut DbConn,
    urls: &InstanceUrls,
    staff: i64,
    id: i64,
    policy: Mode,
) -> Result<CohortMember, StorageError> {
    let m = store::member(c, id)?;
    if m.state != "invitation" {
        return Err(StorageError::NotFound);
    }
    let other = accounts::by_ap_id(c, &m.actor_id)?;
    store::set_member_state(c, id, "member")?;
    store::set_member_policy(c, id, policy.as_str())?;
    let activity = json!({
        "id": urls.activity("Accept").to_string(), "type": "Accept",
        "object": {"id": m.invite_id, "type": "Invite", "actor": m.actor_id,
                   "target": urls.instance_actor().to_string()},
    });
    send(c, urls, activity, vec![other])?;
    kith_core::audit::record(
        c,
        staff,
        "cohort_accept",
        "cohort",
        &m.actor_id,
        Some(policy.as_str()),
    )?;
    store::member(c, id)
}

/// Accepts an invitation this instance received (`NotFound` if there is none with this id).
pub fn accept(
    conn: &mut DbConn,
    urls: &InstanceUrls,
    staff: i64,
    id: i64,
    policy: Mode,
) -> Result<CohortMember, StorageError> {
    accept_in(conn, urls, staff, id, policy)
}

/// Sets what this instance does with a member's decisions.
pub fn set_policy(
    conn: &mut DbConn,
    staff: i64,
    id: i64,
    policy: Mode,
) -> Result<CohortMember, StorageError> {
    let m = store::member(conn, id)?;
    store::set_member_policy(conn, id, policy.as_str())?;
    kith_core::audit::record(
        conn,
        staff,
        "cohort_policy",
        "cohort",
        &m.actor_id,
        Some(policy.as_str()),
    )?;
    store::member(conn, id)
}

/// Leaves the cohort relationship with one instance (or withdraws/declines an invitation): it
/// is told with `Leave`, and the entries its decisions brought are retracted.
pub fn leave(
    conn: &mut DbConn,
    urls: &InstanceUrls,
    staff: i64,
    id: i64,
) -> Result<(), kith_core::CoreError> {
    let m = store::member(conn, id)?;
    if let Some(other) = accounts::by_ap_id(conn, &m.actor_id).optional()? {
        let activity = json!({
            "id": urls.activity("Leave").to_string(), "type": "Leave",
            "object": {"id": cohort_id(urls), "type": "ModerationCohort"},
        });
        send(conn, urls, activity, vec![other])?;
    }
    shared::retract_source(conn, &Source::cohort(id))?;
    store::delete_member(conn, id)?;
    kith_core::audit::record(conn, staff, "cohort_leave", "cohort", &m.actor_id, None)?;
    Ok(())
}

/// Shares a report about `target` (a remote account that is no member's) with every member
/// but the target's own server: a `Flag` from the instance actor with `cohortReport`, the
/// account and `status_uris`, and the comment. The reporter is never named. In the report's
/// transaction.
pub fn share_report(
    conn: &mut DbConn,
    urls: &InstanceUrls,
    target: &Account,
    status_uris: &[String],
    comment: &str,
) -> Result<(), StorageError> {
    if target.is_local() {
        return Ok(());
    }
    let target_domain = domain_of(&target.ap_id);
    let members = member_accounts(conn)?;
    if members.iter().any(|(m, _)| m.domain == target_domain) {
        // A report about a member's own account is that member's to handle (forwarding).
        return Ok(());
    }
    let to: Vec<Account> = members.into_iter().map(|(_, a)| a).collect();
    if to.is_empty() {
        return Ok(());
    }
    let mut object = vec![Value::String(target.ap_id.clone())];
    object.extend(status_uris.iter().cloned().map(Value::String));
    let activity = json!({
        "id": urls.activity("Flag").to_string(), "type": "Flag",
        "object": object, "content": comment, "cohortReport": true,
    });
    send(conn, urls, activity, to)
}

/// A `Block` carrying a `cohortDecision` about `e` (`object`: the account, or the domain's root
/// URL; `domain`: the domain concerned).
fn decision_activity(urls: &InstanceUrls, object: &str, domain: &str, e: &Entry) -> Value {
    json!({
        "id": urls.activity("Block").to_string(), "type": "Block", "object": object,
        "cohortDecision": {
            "targetType": e.target_kind, "domain": domain, "severity": e.severity.as_str(),
            "rejectMedia": e.reject_media, "rejectReports": e.reject_reports, "reason": e.comment,
        },
    })
}

fn publish(
    conn: &mut DbConn,
    urls: &InstanceUrls,
    kind: &str,
    target: &str,
    domain: &str,
    activity: Value,
) -> Result<(), StorageError> {
    // A member is not sent a decision about its own domain or accounts (it would refuse it).
    let to: Vec<Account> = member_accounts(conn)?
        .into_iter()
        .filter(|(m, _)| {
            !kith_storage::domain_policies::covering_domains(&m.domain).contains(&domain.to_owned())
        })
        .map(|(_, a)| a)
        .collect();
    if to.is_empty() {
        return Ok(());
    }
    let mut stored = activity.clone();
    stored["actor"] = Value::String(instance_actor(conn)?.ap_id);
    store::set_published(conn, kind, target, Some(&stored.to_string()))?;
    send(conn, urls, activity, to)
}

/// Publishes a local moderator's domain policy to the cohort (`silence` or `suspend`; a
/// `noop` policy withdraws an earlier decision). In the policy's transaction. Policies made
/// from shared entries are not published again.
pub fn publish_domain(
    conn: &mut DbConn,
    urls: &InstanceUrls,
    policy: &DomainPolicy,
) -> Result<(), StorageError> {
    if store::is_managed(conn, &policy.domain)? {
        return Ok(());
    }
    if domain_policy::severity_of(policy) == Severity::Noop {
        return withdraw(conn, urls, "domain", &policy.domain);
    }
    let entry = Entry {
        target_kind: "domain",
        target: policy.domain.clone(),
        severity: domain_policy::severity_of(policy),
        reject_media: policy.reject_media,
        reject_reports: policy.reject_reports,
        comment: policy.public_comment.clone(),
        source_ref: None,
    };
    let activity = decision_activity(
        urls,
        &format!("https://{}/", policy.domain),
        &policy.domain,
        &entry,
    );
    publish(
        conn,
        urls,
        "domain",
        &policy.domain,
        &policy.domain,
        activity,
    )
}

/// Publishes a local moderator's suspension or limit of a remote account to the cohort.
pub fn publish_account(
    conn: &mut DbConn,
    urls: &InstanceUrls,
    account: &Account,
    severity: Severity,
    reason: Option<&str>,
) -> Result<(), StorageError> {
    if account.is_local() || severity == Severity::Noop {
        return Ok(());
    }
    let entry = Entry {
        target_kind: "account",
        target: account.ap_id.clone(),
        severity,
        reject_media: false,
        reject_reports: false,
        comment: reason.filter(|r| !r.is_empty()).map(str::to_owned),
        source_ref: None,
    };
    let domain = domain_of(&account.ap_id);
    let activity = decision_activity(urls, &account.ap_id, &domain, &entry);
    publish(conn, urls, "account", &account.ap_id, &domain, activity)
}

/// Withdraws the decision published about a target (a lifted policy or suspension): `Undo`
/// of it to the members. Nothing if none was published.
pub fn withdraw(
    conn: &mut DbConn,
    urls: &InstanceUrls,
    kind: &str,
    target: &str,
) -> Result<(), StorageError> {
    let Some(body) = store::published(conn, kind, target)? else {
        return Ok(());
    };
    store::set_published(conn, kind, target, None)?;
    let members = member_accounts(conn)?;
    if members.is_empty() {
        return Ok(());
    }
    let inner: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let activity =
        json!({"id": urls.activity("Undo").to_string(), "type": "Undo", "object": inner});
    send(
        conn,
        urls,
        activity,
        members.into_iter().map(|(_, a)| a).collect(),
    )
}

/// Refuses a cohort message and writes it to the audit log (as the sender).
fn refuse(conn: &mut DbConn, sender: &Account, why: &str) -> Result<(), StorageError> {
    tracing::warn!(sender = %sender.ap_id, why, "cohort message refused");
    kith_core::audit::record(
        conn,
        sender.id,
        "refuse_cohort_message",
        "cohort",
        &sender.ap_id,
        Some(why),
    )?;
    Ok(())
}

fn is_member(conn: &mut DbConn, sender: &Account) -> Result<Option<CohortMember>, StorageError> {
    Ok(store::member_by_actor(conn, &sender.ap_id)
        .optional()?
        .filter(|m| m.state == "member"))
}

/// The cohort part of the inbox: handles `Invite`, `Accept` of a cohort invitation, `Leave`,
/// `Block`/`Undo` carrying a `cohortDecision`, and `Flag` with `cohortReport`. Returns `None`
/// for anything else (and for a plain Flag), which the usual handlers then take.
pub async fn receive(
    kind: &str,
    activity: &Value,
    sender: &Account,
    data: &Data,
) -> Option<Result<(), FederationError>> {
    match kind {
        "Invite" => Some(receive_invite(activity, sender, data).await),
        "Accept" => receive_accept(activity, sender, data).await,
        "Leave" => Some(receive_leave(sender, data).await),
        "Block" if term(activity, "cohortDecision").is_some() => {
            Some(receive_decision(activity, sender, data).await)
        }
        "Undo" if term(&activity["object"], "cohortDecision").is_some() => {
            Some(receive_undo(&activity["object"], sender, data).await)
        }
        "Flag" if term(activity, "cohortReport").and_then(Value::as_bool) == Some(true) => {
            receive_report(activity, sender, data).await
        }
        _ => None,
    }
}

async fn receive_invite(
    activity: &Value,
    sender: &Account,
    data: &Data,
) -> Result<(), FederationError> {
    let target = activity.get("target").and_then(|t| match t {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("id").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    });
    if target.as_deref() != Some(data.urls.instance_actor().as_str()) {
        return Ok(());
    }
    let invite_id = activity["id"].as_str().unwrap_or_default().to_owned();
    let sender = sender.clone();
    let urls = data.urls.clone();
    data.db
        .write(move |c| {
            let now = kith_storage::now();
            let existing = store::member_by_actor(c, &sender.ap_id).optional()?;
            match existing {
                Some(m) if m.state == "member" => Ok(()),
                Some(m) if m.state == "invited" => {
                    // Both invited each other: this one's Invite answers ours.
                    store::upsert_member(
                        c,
                        &CohortMember {
                            state: "invitation".into(),
                            invite_id,
                            ..m.clone()
                        },
                    )?;
                    let policy = Mode::parse(&m.policy).unwrap_or(Mode::Review);
                    let staff = instance_actor(c)?.id;
                    accept_in(c, &urls, staff, m.id, policy).map(|_| ())
                }
                _ if store::members(c)?
                    .iter()
                    .filter(|m| m.state == "invitation")
                    .count()
                    >= MAX_OPEN_INVITATIONS =>
                {
                    tracing::warn!(sender = %sender.ap_id, "cohort invitation dropped: too many open");
                    Ok(())
                }
                _ => store::upsert_member(
                    c,
                    &CohortMember {
                        id: kith_storage::id::new_id(),
                        actor_id: sender.ap_id.clone(),
                        domain: domain_of(&sender.ap_id),
                        state: "invitation".into(),
                        policy: "review".into(),
                        invite_id,
                        created_at: now,
                        updated_at: now,
                    },
                ),
            }
        })
        .await?;
    Ok(())
}

async fn receive_accept(
    activity: &Value,
    sender: &Account,
    data: &Data,
) -> Option<Result<(), FederationError>> {
    let inner = crate::activities::object_id(activity)?;
    let sender_id = sender.ap_id.clone();
    // Most Accepts answer Follows: only read unless it is ours.
    let invited = data
        .db
        .read(move |c| store::member_by_actor(c, &sender_id).optional())
        .await;
    let m = match invited {
        Ok(Some(m)) if m.state == "invited" && m.invite_id == inner => m,
        Ok(_) => return None,
        Err(e) => return Some(Err(e.into())),
    };
    let result = data
        .db
        .write(move |c| store::set_member_state(c, m.id, "member"))
        .await;
    Some(result.map_err(Into::into))
}

async fn receive_leave(sender: &Account, data: &Data) -> Result<(), FederationError> {
    let sender = sender.clone();
    data.db
        .write(move |c| {
            let Some(m) = store::member_by_actor(c, &sender.ap_id).optional()? else {
                return Ok(());
            };
            match shared::retract_source(c, &Source::cohort(m.id)) {
                Ok(_) => {}
                Err(kith_core::CoreError::Storage(e)) => return Err(e),
                Err(e) => tracing::warn!(error = %e, "retracting a departed member's entries"),
            }
            store::delete_member(c, m.id)
        })
        .await?;
    Ok(())
}

/// A decision's entry, as the wire says it; `Err` with why it is refused.
fn decision_entry(activity: &Value, urls: &InstanceUrls) -> Result<Entry, String> {
    let d = term(activity, "cohortDecision").ok_or("no cohortDecision")?;
    let get = |name: &str| term(d, name);
    let target_type = get("targetType")
        .and_then(Value::as_str)
        .unwrap_or("domain");
    let severity = get("severity")
        .and_then(Value::as_str)
        .and_then(Severity::parse)
        .ok_or("the decision has no valid severity")?;
    let flag = |name: &str| get(name).and_then(Value::as_bool).unwrap_or(false);
    let reason = get("reason")
        .and_then(Value::as_str)
        .map(|r| r.chars().take(limits::MAX_BLOCKLIST_COMMENT).collect());
    let (target_kind, target) = match target_type {
        "account" => {
            let object = crate::activities::object_id(activity).ok_or("no object")?;
            let u = url::Url::parse(&object).map_err(|_| "the object is not a URL")?;
            if urls.is_local(&u) {
                return Err(format!("it names a local account, {object}"));
            }
            ("account", object)
        }
        "domain" => {
            let domain = get("domain").and_then(Value::as_str).unwrap_or_default();
            let domain = domain_policy::normalize_domain(domain).map_err(|e| e.to_string())?;
            if kith_storage::domain_policies::covering_domains(urls.domain()).contains(&domain) {
                return Err(format!("it names this instance's own domain, {domain}"));
            }
            ("domain", domain)
        }
        other => return Err(format!("unknown targetType {other:?}")),
    };
    Ok(Entry {
        target_kind,
        target,
        severity,
        reject_media: flag("rejectMedia"),
        reject_reports: flag("rejectReports"),
        comment: reason,
        source_ref: activity["id"].as_str().map(str::to_owned),
    })
}

async fn receive_decision(
    activity: &Value,
    sender: &Account,
    data: &Data,
) -> Result<(), FederationError> {
    let s = sender.clone();
    let member = data.db.read(move |c| is_member(c, &s)).await?;
    let entry = decision_entry(activity, &data.urls);
    let (member, entry) = match (member, entry) {
        (None, _) => {
            let s = sender.clone();
            data.db
                .write(move |c| {
                    refuse(
                        c,
                        &s,
                        "a cohort decision from an instance that is not a member",
                    )
                })
                .await?;
            return Ok(());
        }
        (Some(_), Err(why)) => {
            let s = sender.clone();
            data.db
                .write(move |c| refuse(c, &s, &format!("a cohort decision refused: {why}")))
                .await?;
            return Ok(());
        }
        (Some(m), Ok(e)) => (m, e),
    };
    if entry.target_kind == "account" {
        // The account must be known here to be acted on.
        let id = url::Url::parse(&entry.target)
            .map_err(|_| FederationError::Invalid("bad account id".into()))?;
        if let Err(e) = crate::fetch::dereference(&ObjectId::<ApAccount>::from(id), data).await {
            tracing::info!(error = %e, target = %entry.target, "cohort decision about an account that cannot be fetched");
            return Ok(());
        }
    }
    let urls = data.urls.clone();
    let s = sender.clone();
    data.db
        .write(move |c| {
            let mode = Mode::parse(&member.policy).unwrap_or(Mode::Review);
            match shared::ingest(c, &urls, &Source::cohort(member.id), &entry, mode) {
                Ok(_) => Ok(()),
                Err(kith_core::CoreError::Storage(e)) => Err(e),
                Err(e) => refuse(c, &s, &format!("a cohort decision refused: {e}")),
            }
        })
        .await?;
    Ok(())
}

async fn receive_undo(inner: &Value, sender: &Account, data: &Data) -> Result<(), FederationError> {
    let s = sender.clone();
    let inner = inner.clone();
    let urls = data.urls.clone();
    data.db
        .write(move |c| {
            let Some(member) = is_member(c, &s)? else {
                return refuse(c, &s, "a cohort Undo from an instance that is not a member");
            };
            let entry = match decision_entry(&inner, &urls) {
                Ok(e) => e,
                Err(why) => return refuse(c, &s, &format!("a cohort Undo refused: {why}")),
            };
            for d in store::decisions_of_source(c, "cohort", member.id)? {
                if d.target_kind == entry.target_kind && d.target == entry.target {
                    match shared::retract(c, &d) {
                        Ok(()) => {}
                        Err(kith_core::CoreError::Storage(e)) => return Err(e),
                        Err(e) => tracing::warn!(error = %e, "retracting a cohort decision"),
                    }
                }
            }
            Ok(())
        })
        .await?;
    Ok(())
}

async fn receive_report(
    activity: &Value,
    sender: &Account,
    data: &Data,
) -> Option<Result<(), FederationError>> {
    let s = sender.clone();
    let member = match data.db.read(move |c| is_member(c, &s)).await {
        Ok(m) => m,
        Err(e) => return Some(Err(e.into())),
    };
    let Some(member) = member else {
        let s = sender.clone();
        let logged = data
            .db
            .write(move |c| {
                refuse(
                    c,
                    &s,
                    "a cohort report from an instance that is not a member",
                )
            })
            .await;
        // Still a plain Flag: the usual handler keeps it as any server's report.
        return logged.err().map(|e| Err(e.into()));
    };
    let objects = crate::flags::flag_objects(activity);
    let first = objects.first()?.clone();
    let first_url = url::Url::parse(&first).ok()?;
    if data.urls.is_local(&first_url) {
        // About a local account: an ordinary report from that server.
        return None;
    }
    let target = match crate::fetch::dereference(&ObjectId::<ApAccount>::from(first_url), data)
        .await
    {
        Ok(a) => a.into_account(),
        Err(e) => {
            tracing::info!(error = %e, %first, "cohort report about an account that cannot be fetched");
            return Some(Ok(()));
        }
    };
    let comment: String = activity
        .get("content")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .chars()
        .take(limits::MAX_COHORT_REPORT_CHARS)
        .collect();
    let ap_id = activity["id"].as_str().unwrap_or_default().to_owned();
    let sender = sender.clone();
    let result = data
        .db
        .write(move |c| {
            if !ap_id.is_empty() && kith_storage::moderation::report_with_ap_id_exists(c, &ap_id)? {
                return Ok(());
            }
            let mut status_ids = Vec::new();
            for uri in objects.iter().skip(1) {
                if let Some(st) = statuses::by_ap_id(c, uri).optional()? {
                    if st.account_id == target.id {
                        status_ids.push(st.id);
                    }
                }
            }
            let filed = reports::create(
                c,
                NewReport {
                    reporter_account_id: sender.id,
                    target_account_id: target.id,
                    status_ids,
                    category: Category::Other,
                    comment,
                    rule_ids: Vec::new(),
                    forward: false,
                    origin_domain: Some(member.domain.clone()),
                    ap_id: (!ap_id.is_empty()).then_some(ap_id),
                },
            );
            match filed {
                Ok(r) => store::mark_cohort_report(c, r.id, member.id),
                Err(kith_core::CoreError::Storage(e)) => Err(e),
                Err(e) => {
                    tracing::info!(error = %e, "cohort report not filed");
                    Ok(())
                }
            }
        })
        .await;
    Some(result.map_err(Into::into))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls() -> InstanceUrls {
        InstanceUrls::new("home.example", false).unwrap()
    }

    #[test]
    fn decisions_are_read_by_any_name_of_their_terms() {
        let short = json!({"id": "https://a.example/1", "type": "Block", "object": "https://spam.example/",
            "cohortDecision": {"targetType": "domain", "domain": "Spam.Example", "severity": "suspend",
                               "rejectMedia": true, "reason": "Spam"}});
        let e = decision_entry(&short, &urls()).unwrap();
        assert_eq!(e.target, "spam.example");
        assert_eq!(e.severity, Severity::Suspend);
        assert!(e.reject_media && !e.reject_reports);
        assert_eq!(e.comment.as_deref(), Some("Spam"));
        assert_eq!(e.source_ref.as_deref(), Some("https://a.example/1"));

        let iri = json!({"type": "Block", "object": "https://x.example/users/troll",
            "urn:kith:ns#cohortDecision": {"kith:targetType": "account", "urn:kith:ns#severity": "silence"}});
        let e = decision_entry(&iri, &urls()).unwrap();
        assert_eq!(e.target_kind, "account");
        assert_eq!(e.target, "https://x.example/users/troll");
        assert_eq!(e.severity, Severity::Silence);
    }

    #[test]
    fn decisions_about_this_instance_are_refused() {
        for bad in [
            json!({"type": "Block", "object": "https://home.example/",
                   "cohortDecision": {"targetType": "domain", "domain": "home.example", "severity": "suspend"}}),
            json!({"type": "Block", "object": "https://home.example/",
                   "cohortDecision": {"targetType": "domain", "domain": "example", "severity": "suspend"}}),
            json!({"type": "Block", "object": "https://home.example/users/alice",
                   "cohortDecision": {"targetType": "account", "severity": "suspend"}}),
            json!({"type": "Block", "object": "https://x.example/",
                   "cohortDecision": {"targetType": "domain", "domain": "x.example", "severity": "banish"}}),
            json!({"type": "Block", "object": "https://x.example/",
                   "cohortDecision": {"targetType": "planet", "domain": "x.example", "severity": "suspend"}}),
        ] {
            assert!(decision_entry(&bad, &urls()).is_err(), "{bad}");
        }
    }
}
