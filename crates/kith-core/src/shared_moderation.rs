//! Moderation shared across instances: what this instance does with the entries its blocklist
//! subscriptions and its cohort members give it, and the provenance each keeps.
//!
//! Every entry is one `shared_decisions` row: its source (a subscription or a cohort member),
//! its target (a domain, or a remote account), what it asks (severity, flags, reason) and its
//! state here:
//!
//! - `applied`: in effect. A domain policy made of applied entries only is *managed*: it is
//!   the union of its applied entries (the strictest severity, every flag) and goes when the
//!   last one is retracted ([`reconcile_domain`]). An account entry suspends or limits the
//!   account as the instance actor (`moderation::act`, audited).
//! - `pending`: held for a moderator to approve or reject (a `review` source, or an entry
//!   stricter than a local decision on the same domain).
//! - `covered`: a local decision is already at least as strict; nothing changes.
//! - `confirmed`: a local moderator confirmed it (or an approval upgraded a local policy):
//!   it is a local decision now and survives the source's retraction.
//! - `rejected`, `ignored` (an `ignore` cohort member).
//!
//! A local moderator's own policy is never changed by an entry (`domain_policy::upsert`
//! marks what moderators write as local), and nothing shared ever acts on this instance's own
//! domain or local accounts ([`ingest`] refuses them).

use crate::domain_policy::{self, severity_of, PolicyInput, Severity};
use crate::moderation::{self, AccountAction, ActionDetails, Staff};
use crate::{CoreError, InstanceUrls};
use kith_storage::domain_policies::{self as policies, covering_domains, DomainPolicy};
use kith_storage::sharing::{self as store, SharedDecision};
use kith_storage::{accounts, DbConn, OptionalExt, StorageError};

/// What this instance does with a source's entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Applied at once.
    Apply,
    /// Held for a moderator's review.
    Review,
    /// Recorded and nothing more (cohort members only).
    Ignore,
}

impl Mode {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Apply => "apply",
            Mode::Review => "review",
            Mode::Ignore => "ignore",
        }
    }

    /// Reads a mode.
    pub fn parse(s: &str) -> Result<Mode, CoreError> {
        match s.trim() {
            "apply" => Ok(Mode::Apply),
            "review" => Ok(Mode::Review),
            "ignore" => Ok(Mode::Ignore),
            other => Err(CoreError::Invalid(format!(
                "mode must be apply, review or ignore, not {other:?}"
            ))),
        }
    }
}

/// Where an entry comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// `subscription` or `cohort`.
    pub kind: &'static str,
    /// The subscription's or cohort member's id.
    pub id: i64,
}

impl Source {
    /// A blocklist subscription.
    pub fn subscription(id: i64) -> Source {
        Source {
            kind: "subscription",
            id,
        }
    }

    /// A cohort member.
    pub fn cohort(id: i64) -> Source {
        Source { kind: "cohort", id }
    }
}

/// What a source says about one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// `domain` or `account`.
    pub target_kind: &'static str,
    /// A normalized domain, or an account's actor id.
    pub target: String,
    pub severity: Severity,
    pub reject_media: bool,
    pub reject_reports: bool,
    /// The source's public reason.
    pub comment: Option<String>,
    /// The activity that carried it (cohort).
    pub source_ref: Option<String>,
}

/// How a source is named in provenance and the audit log: `blocklist URL` or `the moderators
/// of DOMAIN`.
pub fn source_label(conn: &mut DbConn, kind: &str, id: i64) -> Result<String, StorageError> {
    Ok(match kind {
        "subscription" => match store::subscription(conn, id).optional()? {
            Some(s) => format!("blocklist {}", s.url),
            None => format!("blocklist subscription {id}"),
        },
        _ => match store::member(conn, id).optional()? {
            Some(m) => format!("the moderators of {}", m.domain),
            None => format!("cohort member {id}"),
        },
    })
}

fn instance_actor_id(conn: &mut DbConn) -> Result<i64, StorageError> {
    Ok(accounts::instance_actor(conn)?
        .ok_or(StorageError::NotFound)?
        .id)
}

/// The instance actor acting as staff, for what shared entries do to remote accounts.
fn instance_staff(conn: &mut DbConn) -> Result<Staff, StorageError> {
    Ok(Staff {
        account_id: instance_actor_id(conn)?,
        role: crate::accounts::Role::Admin,
    })
}

/// Whether `policy` is already at least as strict as `entry`.
fn covers(policy: &DomainPolicy, entry: &SharedDecision) -> bool {
    let sev = Severity::parse(&entry.severity).unwrap_or(Severity::Noop);
    severity_of(policy) >= sev
        && (policy.reject_media || !entry.reject_media)
        && (policy.reject_reports || !entry.reject_reports)
}

/// The local (not managed) policy on exactly this domain, if any.
fn local_policy(conn: &mut DbConn, domain: &str) -> Result<Option<DomainPolicy>, StorageError> {
    let Some(p) = policies::by_domain(conn, domain).optional()? else {
        return Ok(None);
    };
    Ok((!store::is_managed(conn, domain)?).then_some(p))
}

/// Whether an account's local moderation is already at least what `severity` asks.
fn account_covered(
    conn: &mut DbConn,
    account_id: i64,
    severity: Severity,
) -> Result<bool, StorageError> {
    let s = kith_storage::moderation::state(conn, account_id)?;
    Ok(match severity {
        Severity::Suspend => s.suspended_at.is_some(),
        Severity::Silence => s.silenced_at.is_some() || s.suspended_at.is_some(),
        Severity::Noop => true,
    })
}

/// The state a new (or re-evaluated) entry starts in.
fn initial_state(
    conn: &mut DbConn,
    d: &SharedDecision,
    mode: Mode,
) -> Result<&'static str, CoreError> {
    if mode == Mode::Ignore {
        return Ok("ignored");
    }
    let sev = Severity::parse(&d.severity).unwrap_or(Severity::Noop);
    if d.target_kind == "domain" {
        if let Some(local) = local_policy(conn, &d.target)? {
            return Ok(if covers(&local, d) {
                "covered"
            } else {
                "pending"
            });
        }
    } else {
        let account = accounts::by_ap_id(conn, &d.target)?;
        let others_applied = store::decisions_about(conn, "account", &d.target)?
            .iter()
            .any(|o| o.id != d.id && matches!(o.state.as_str(), "applied" | "confirmed"));
        if !others_applied && account_covered(conn, account.id, sev)? {
            return Ok("covered");
        }
    }
    Ok(match mode {
        Mode::Review => "pending",
        _ => "applied",
    })
}

/// Refuses an entry about this instance's own domain or one of its local accounts.
fn check_not_local(urls: &InstanceUrls, entry: &Entry) -> Result<(), CoreError> {
    let local = match entry.target_kind {
        "domain" => covering_domains(urls.domain()).contains(&entry.target),
        _ => url::Url::parse(&entry.target).map_or(true, |u| urls.is_local(&u)),
    };
    if local {
        return Err(CoreError::Forbidden(format!(
            "a shared entry cannot act on this instance's own {} {}",
            entry.target_kind, entry.target
        )));
    }
    Ok(())
}

/// Takes in what `source` says about one target, as `mode` says: a new entry starts as
/// applied, pending, covered or ignored; a changed one follows its state (an applied entry
/// changes the managed policy, a rejected one comes back for review). Refused (`Forbidden`)
/// for this instance's own domain or a local account; an account entry's account must be
/// known here (`NotFound` otherwise). Runs in the caller's transaction.
pub fn ingest(
    conn: &mut DbConn,
    urls: &InstanceUrls,
    source: &Source,
    entry: &Entry,
    mode: Mode,
) -> Result<SharedDecision, CoreError> {
    check_not_local(urls, entry)?;
    if entry.target_kind == "account" {
        let a = accounts::by_ap_id(conn, &entry.target)?;
        if a.is_local() {
            return Err(CoreError::Forbidden(
                "a shared entry cannot act on a local account".into(),
            ));
        }
    }
    let now = kith_storage::now();
    let existing = store::decisions_of_source(conn, source.kind, source.id)?
        .into_iter()
        .find(|d| d.target_kind == entry.target_kind && d.target == entry.target);
    let comment = entry.comment.clone().filter(|c| !c.trim().is_empty());
    let mut d = match existing {
        Some(d)
            if d.severity == entry.severity.as_str()
                && d.reject_media == entry.reject_media
                && d.reject_reports == entry.reject_reports
                && d.comment == comment =>
        {
            return Ok(d);
        }
        Some(d) => d,
        None => SharedDecision {
            id: kith_storage::id::new_id(),
            source_kind: source.kind.to_owned(),
            source_id: source.id,
            source_ref: None,
            target_kind: entry.target_kind.to_owned(),
            target: entry.target.clone(),
            severity: String::new(),
            reject_media: false,
            reject_reports: false,
            comment: None,
            state: String::new(),
            created_at: now,
            updated_at: now,
        },
    };
    let was = d.state.clone();
    d.severity = entry.severity.as_str().to_owned();
    d.reject_media = entry.reject_media;
    d.reject_reports = entry.reject_reports;
    d.comment = comment;
    d.source_ref = entry.source_ref.clone().or(d.source_ref);
    d.updated_at = now;
    let why = source_label(conn, source.kind, source.id)?;
    match was.as_str() {
        "" => {
            d.state = initial_state(conn, &d, mode)?.to_owned();
            store::insert_decision(conn, &d)?;
            if d.state == "applied" {
                apply(conn, &d, &why)?;
            }
        }
        "applied" => {
            store::update_decision(conn, &d)?;
            apply(conn, &d, &why)?;
        }
        "confirmed" => store::update_decision(conn, &d)?,
        "pending" | "rejected" => {
            d.state = "pending".into();
            store::update_decision(conn, &d)?;
        }
        _ => {
            d.state = initial_state(conn, &d, mode)?.to_owned();
            store::update_decision(conn, &d)?;
            if d.state == "applied" {
                apply(conn, &d, &why)?;
            }
        }
    }
    Ok(d)
}

/// Makes an applied entry take effect: its domain's managed policy is recomputed, or its
/// account is suspended or limited by the instance actor.
fn apply(conn: &mut DbConn, d: &SharedDecision, why: &str) -> Result<(), CoreError> {
    if d.target_kind == "domain" {
        return Ok(reconcile_domain(conn, &d.target, why)?);
    }
    let account = accounts::by_ap_id(conn, &d.target)?;
    let action = match Severity::parse(&d.severity) {
        Some(Severity::Suspend) => AccountAction::Suspend,
        Some(Severity::Silence) => AccountAction::Silence,
        _ => return Ok(()),
    };
    let staff = instance_staff(conn)?;
    let text = match &d.comment {
        Some(c) => format!("decided by {why}: {c}"),
        None => format!("decided by {why}"),
    };
    moderation::act(
        conn,
        staff,
        account.id,
        action,
        &ActionDetails {
            report_id: None,
            text,
            notify: false,
        },
    )
}

/// Undoes what an applied account entry did, unless another source's entry still holds it.
fn unapply_account(conn: &mut DbConn, d: &SharedDecision, why: &str) -> Result<(), CoreError> {
    let others = store::decisions_about(conn, "account", &d.target)?;
    if others
        .iter()
        .any(|o| o.id != d.id && matches!(o.state.as_str(), "applied" | "confirmed"))
    {
        return Ok(());
    }
    let Some(account) = accounts::by_ap_id(conn, &d.target).optional()? else {
        return Ok(());
    };
    let action = match Severity::parse(&d.severity) {
        Some(Severity::Suspend) => AccountAction::Unsuspend,
        Some(Severity::Silence) => AccountAction::Unsilence,
        _ => return Ok(()),
    };
    let staff = instance_staff(conn)?;
    moderation::act(
        conn,
        staff,
        account.id,
        action,
        &ActionDetails {
            report_id: None,
            text: format!("retracted by {why}"),
            notify: false,
        },
    )
}

/// Recomputes the managed policy on `domain` from its applied entries: the strictest
/// severity and every flag, the first public reason, the sources named in the private
/// comment; removed when no applied entry is left. A local policy is left alone. Changes are
/// audited as the instance actor, with `why` as the reason.
pub fn reconcile_domain(conn: &mut DbConn, domain: &str, why: &str) -> Result<(), StorageError> {
    let existing = policies::by_domain(conn, domain).optional()?;
    if existing.is_some() && !store::is_managed(conn, domain)? {
        return Ok(());
    }
    let applied: Vec<SharedDecision> = store::decisions_about(conn, "domain", domain)?
        .into_iter()
        .filter(|d| d.state == "applied")
        .collect();
    let actor = instance_actor_id(conn)?;
    if applied.is_empty() {
        if let Some(p) = existing {
            policies::delete(conn, p.id)?;
            crate::audit::record(
                conn,
                actor,
                "destroy_domain_block",
                "domain",
                domain,
                Some(why),
            )?;
        }
        return Ok(());
    }
    let severity = applied
        .iter()
        .filter_map(|d| Severity::parse(&d.severity))
        .max()
        .unwrap_or(Severity::Noop);
    let mut labels = Vec::new();
    for d in &applied {
        let l = source_label(conn, &d.source_kind, d.source_id)?;
        if !labels.contains(&l) {
            labels.push(l);
        }
    }
    let now = kith_storage::now();
    let row = DomainPolicy {
        id: existing
            .as_ref()
            .map_or_else(kith_storage::id::new_id, |e| e.id),
        domain: domain.to_owned(),
        severity: severity.as_str().to_owned(),
        reject_media: applied.iter().any(|d| d.reject_media),
        reject_reports: applied.iter().any(|d| d.reject_reports),
        private_comment: Some(format!("shared by {}", labels.join(", "))),
        public_comment: applied.iter().find_map(|d| d.comment.clone()),
        obfuscate: false,
        created_at: existing.as_ref().map_or(now, |e| e.created_at),
        updated_at: now,
    };
    match existing {
        Some(e)
            if e.severity == row.severity
                && e.reject_media == row.reject_media
                && e.reject_reports == row.reject_reports
                && e.private_comment == row.private_comment
                && e.public_comment == row.public_comment =>
        {
            return Ok(());
        }
        Some(_) => {
            policies::update(conn, &row)?;
            crate::audit::record(
                conn,
                actor,
                "update_domain_block",
                "domain",
                domain,
                Some(why),
            )?;
        }
        None => {
            policies::insert(conn, &row)?;
            store::set_managed(conn, domain, true)?;
            crate::audit::record(
                conn,
                actor,
                "create_domain_block",
                "domain",
                domain,
                Some(why),
            )?;
        }
    }
    domain_policy::apply_effects(conn, &row)
}

/// The source no longer gives this entry: it is removed, and what it did undone unless a
/// local moderator confirmed it (a managed policy shrinks or goes; an account entry's
/// suspension or limit is lifted if no other source holds it).
pub fn retract(conn: &mut DbConn, d: &SharedDecision) -> Result<(), CoreError> {
    let why = format!(
        "retracted by {}",
        source_label(conn, &d.source_kind, d.source_id)?
    );
    store::delete_decision(conn, d.id)?;
    if d.state == "applied" {
        if d.target_kind == "domain" {
            reconcile_domain(conn, &d.target, &why)?;
        } else {
            unapply_account(conn, d, &why)?;
        }
    }
    Ok(())
}

/// What a refresh of a whole list changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncOutcome {
    /// Entries new or changed.
    pub changed: usize,
    /// Entries the source no longer gives.
    pub retracted: usize,
    /// Entries skipped, and why.
    pub skipped: Vec<String>,
}

/// Replaces a source's whole list: every entry is taken in ([`ingest`]), and the source's
/// entries missing from `entries` are retracted ([`retract`]). Entries about this instance
/// itself are skipped with a note.
pub fn sync_source(
    conn: &mut DbConn,
    urls: &InstanceUrls,
    source: &Source,
    entries: &[Entry],
    mode: Mode,
) -> Result<SyncOutcome, CoreError> {
    let mut out = SyncOutcome::default();
    let before = store::decisions_of_source(conn, source.kind, source.id)?;
    for e in entries {
        let old = before
            .iter()
            .find(|d| d.target_kind == e.target_kind && d.target == e.target)
            .cloned();
        match ingest(conn, urls, source, e, mode) {
            Ok(d) if old.as_ref() != Some(&d) => out.changed += 1,
            Ok(_) => {}
            Err(CoreError::Forbidden(why)) => out.skipped.push(why),
            Err(e) => return Err(e),
        }
    }
    for d in before {
        if !entries
            .iter()
            .any(|e| e.target_kind == d.target_kind && e.target == d.target)
        {
            retract(conn, &d)?;
            out.retracted += 1;
        }
    }
    Ok(out)
}

/// Retracts every entry of a source (an unsubscribed list, a member that left).
pub fn retract_source(conn: &mut DbConn, source: &Source) -> Result<usize, CoreError> {
    let rows = store::decisions_of_source(conn, source.kind, source.id)?;
    let n = rows.len();
    for d in rows {
        retract(conn, &d)?;
    }
    Ok(n)
}

/// A moderator approves a pending entry: it is applied (on a domain with a weaker local
/// policy, that policy is made as strict as the entry, as the moderator, and stays local).
pub fn approve(conn: &mut DbConn, staff: Staff, id: i64) -> Result<SharedDecision, CoreError> {
    let mut d = store::decision(conn, id)?;
    if d.state != "pending" {
        return Err(CoreError::Invalid(format!(
            "only a pending entry can be approved; this one is {}",
            d.state
        )));
    }
    let why = source_label(conn, &d.source_kind, d.source_id)?;
    d.updated_at = kith_storage::now();
    if d.target_kind == "domain" {
        if let Some(local) = local_policy(conn, &d.target)? {
            let sev = Severity::parse(&d.severity).unwrap_or(Severity::Noop);
            let input = PolicyInput {
                domain: local.domain.clone(),
                severity: sev.max(severity_of(&local)),
                reject_media: local.reject_media || d.reject_media,
                reject_reports: local.reject_reports || d.reject_reports,
                private_comment: local.private_comment.clone(),
                public_comment: local.public_comment.clone().or(d.comment.clone()),
                obfuscate: local.obfuscate,
            };
            domain_policy::upsert(conn, staff.account_id, &input)?;
            d.state = "confirmed".into();
            store::update_decision(conn, &d)?;
            crate::audit::record(
                conn,
                staff.account_id,
                "approve_shared_entry",
                &d.target_kind,
                &d.target,
                Some(&why),
            )?;
            return Ok(d);
        }
    }
    d.state = "applied".into();
    store::update_decision(conn, &d)?;
    crate::audit::record(
        conn,
        staff.account_id,
        "approve_shared_entry",
        &d.target_kind,
        &d.target,
        Some(&why),
    )?;
    apply(conn, &d, &format!("{why}, approved"))?;
    Ok(d)
}

/// A moderator rejects a pending entry: it stays listed, rejected, and does nothing.
pub fn reject(conn: &mut DbConn, staff: Staff, id: i64) -> Result<SharedDecision, CoreError> {
    let mut d = store::decision(conn, id)?;
    if d.state != "pending" {
        return Err(CoreError::Invalid(format!(
            "only a pending entry can be rejected; this one is {}",
            d.state
        )));
    }
    d.state = "rejected".into();
    d.updated_at = kith_storage::now();
    store::update_decision(conn, &d)?;
    let why = source_label(conn, &d.source_kind, d.source_id)?;
    crate::audit::record(
        conn,
        staff.account_id,
        "reject_shared_entry",
        &d.target_kind,
        &d.target,
        Some(&why),
    )?;
    Ok(d)
}

/// A moderator confirms an applied entry: what it did becomes a local decision and survives
/// the source's retraction (for a domain, its policy stops being managed and every applied
/// entry on it is confirmed).
pub fn confirm(conn: &mut DbConn, staff: Staff, id: i64) -> Result<SharedDecision, CoreError> {
    let d = store::decision(conn, id)?;
    if d.state != "applied" {
        return Err(CoreError::Invalid(format!(
            "only an applied entry can be confirmed; this one is {}",
            d.state
        )));
    }
    let now = kith_storage::now();
    let targets: Vec<SharedDecision> = if d.target_kind == "domain" {
        store::set_managed(conn, &d.target, false)?;
        store::decisions_about(conn, "domain", &d.target)?
            .into_iter()
            .filter(|o| o.state == "applied")
            .collect()
    } else {
        vec![d.clone()]
    };
    for mut o in targets {
        o.state = "confirmed".into();
        o.updated_at = now;
        store::update_decision(conn, &o)?;
    }
    let why = source_label(conn, &d.source_kind, d.source_id)?;
    crate::audit::record(
        conn,
        staff.account_id,
        "confirm_shared_entry",
        &d.target_kind,
        &d.target,
        Some(&why),
    )?;
    Ok(store::decision(conn, id)?)
}

/// Domains a source listed obfuscated (with `*`) matched by their SHA-256 digest against the
/// domains this instance knows (its accounts' and its policies'); `None` if none matches.
pub fn domain_by_digest(conn: &mut DbConn, digest: &str) -> Result<Option<String>, StorageError> {
    let digest = digest.trim().to_lowercase();
    let mut known = accounts::known_domains(conn)?;
    known.extend(policies::list(conn)?.into_iter().map(|p| p.domain));
    Ok(known
        .into_iter()
        .find(|d| crate::tokens::digest(d) == digest))
}
