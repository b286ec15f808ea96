//! Domain policies: what this instance does about another server, and the one place each
//! effect is decided.
//!
//! - `suspend`: nothing from the domain (or its subdomains) is accepted (the inbox asks
//!   [`refuses`] before checking signatures), fetched or delivered to (the guarded HTTP client
//!   asks [`refuses`] before every outgoing request, WebFinger and deliveries included;
//!   `outbound::send` enqueues nothing for it); on suspension its queued deliveries are dropped
//!   and follows between it and local accounts are severed both ways ([`apply_effects`]).
//!   Remote media is stored by URL only, so there is no cached copy to purge.
//! - `silence` (Mastodon's "limit"): its accounts' posts stay off the public timeline
//!   (`kith_storage::statuses::public`), and notifications from its accounts that the recipient
//!   does not follow are dropped (the notification gate asks [`silenced_for`]).
//! - `reject_reports`: incoming `Flag`s from it are ignored ([`rejects_reports`]).
//! - `reject_media`: its remote attachments are not shown or stored ([`rejects_media`]).
//! - Allow-list mode (`federation_mode = "allowlist"`): [`refuses`] refuses every domain not in
//!   the allow-list.
//!
//! The state lives in the database and is read on every decision, so a change takes effect at
//! once in every process sharing it. Every change is written to the audit log
//! ([`crate::audit::record`]) in its transaction, attributed to the staff account acting.

use crate::CoreError;
use kith_storage::domain_policies::{self as store, DomainAllow, DomainPolicy};
use kith_storage::{follows, DbConn, OptionalExt, StorageError};

/// How hard a policy bears on a domain, as Mastodon names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// No restriction beyond the flags (reject media / reports).
    Noop,
    /// Limit: its accounts reach only their followers here.
    Silence,
    /// Refuse everything.
    Suspend,
}

impl Severity {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Noop => "noop",
            Severity::Silence => "silence",
            Severity::Suspend => "suspend",
        }
    }

    /// Reads a severity; `limit` is taken for `silence`, as in newer Mastodon exports.
    pub fn parse(s: &str) -> Option<Severity> {
        match s.trim() {
            "noop" => Some(Severity::Noop),
            "silence" | "limit" => Some(Severity::Silence),
            "suspend" => Some(Severity::Suspend),
            _ => None,
        }
    }
}

/// What a moderator sets on a domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyInput {
    pub domain: String,
    pub severity: Severity,
    pub reject_media: bool,
    pub reject_reports: bool,
    pub private_comment: Option<String>,
    pub public_comment: Option<String>,
    pub obfuscate: bool,
}

/// A domain as a policy names it: lower case, no scheme, path or trailing dot; `host` or
/// `host:port`. Refuses anything else.
pub fn normalize_domain(input: &str) -> Result<String, CoreError> {
    let d = input.trim().trim_end_matches('.').to_lowercase();
    let ok = !d.is_empty()
        && d.len() <= 253
        && d.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']' | '_'))
        && !d.starts_with('.')
        && !d.contains("..");
    if !ok {
        return Err(CoreError::Invalid(format!("{input:?} is not a domain")));
    }
    Ok(d)
}

/// The combined policy covering `authority` (a host or `host:port`): the most severe of the
/// policies on it and its parent domains, with their flags together; `None` if none covers it.
pub fn effective(conn: &mut DbConn, authority: &str) -> Result<Option<DomainPolicy>, StorageError> {
    let mut found = store::covering(conn, authority)?;
    found.sort_by_key(|p| std::cmp::Reverse(severity_of(p)));
    let mut it = found.into_iter();
    let Some(mut top) = it.next() else {
        return Ok(None);
    };
    for p in it {
        top.reject_media |= p.reject_media;
        top.reject_reports |= p.reject_reports;
    }
    Ok(Some(top))
}

/// A stored policy's severity (an unknown word reads as `noop`).
pub fn severity_of(p: &DomainPolicy) -> Severity {
    Severity::parse(&p.severity).unwrap_or(Severity::Noop)
}

/// Whether this instance refuses to federate with `authority` at all: it is suspended, or the
/// instance is in allow-list mode and it is not allowed. Every inbound activity, outgoing
/// fetch, WebFinger lookup and delivery asks this.
pub fn refuses(
    conn: &mut DbConn,
    authority: &str,
    allowlist_mode: bool,
) -> Result<bool, StorageError> {
    if allowlist_mode && !store::is_allowed(conn, authority)? {
        return Ok(true);
    }
    Ok(effective(conn, authority)?.is_some_and(|p| severity_of(&p) == Severity::Suspend))
}

/// Whether a notification from `sender` to `recipient` is dropped because the sender's domain
/// is silenced (or suspended) and the recipient does not follow the sender.
pub fn silenced_for(
    conn: &mut DbConn,
    recipient: i64,
    sender: &kith_storage::accounts::Account,
) -> Result<bool, StorageError> {
    let Some(domain) = sender.domain.as_deref() else {
        return Ok(false);
    };
    let limited = effective(conn, domain)?.is_some_and(|p| severity_of(&p) >= Severity::Silence);
    if !limited {
        return Ok(false);
    }
    let follows_sender = follows::between(conn, recipient, sender.id)?.is_some_and(|f| f.accepted);
    Ok(!follows_sender)
}

/// Whether `Flag`s from `authority` are ignored.
pub fn rejects_reports(conn: &mut DbConn, authority: &str) -> Result<bool, StorageError> {
    Ok(effective(conn, authority)?
        .is_some_and(|p| p.reject_reports || severity_of(&p) == Severity::Suspend))
}

/// Whether media from `authority` is neither shown nor stored.
pub fn rejects_media(conn: &mut DbConn, authority: &str) -> Result<bool, StorageError> {
    Ok(effective(conn, authority)?
        .is_some_and(|p| p.reject_media || severity_of(&p) == Severity::Suspend))
}

/// Writes a domain-policy change by the staff account `actor` to the audit log
/// ([`crate::audit::record`], target type `domain`, target the domain), in the caller's
/// transaction.
fn audit(
    conn: &mut DbConn,
    actor: i64,
    action: &str,
    domain: &str,
    reason: Option<&str>,
) -> Result<(), StorageError> {
    crate::audit::record(conn, actor, action, "domain", domain, reason)?;
    Ok(())
}

/// Creates the policy for a domain, or replaces the existing one, and applies its effects;
/// returns the stored row. `input.domain` must have been through [`normalize_domain`].
pub fn upsert(
    conn: &mut DbConn,
    actor: i64,
    input: &PolicyInput,
) -> Result<DomainPolicy, StorageError> {
    let domain = input.domain.clone();
    let now = kith_storage::now();
    let existing = store::by_domain(conn, &domain).optional()?;
    let row = DomainPolicy {
        id: existing
            .as_ref()
            .map_or_else(kith_storage::id::new_id, |e| e.id),
        domain,
        severity: input.severity.as_str().to_owned(),
        reject_media: input.reject_media,
        reject_reports: input.reject_reports,
        private_comment: input
            .private_comment
            .clone()
            .filter(|c| !c.trim().is_empty()),
        public_comment: input
            .public_comment
            .clone()
            .filter(|c| !c.trim().is_empty()),
        obfuscate: input.obfuscate,
        created_at: existing.as_ref().map_or(now, |e| e.created_at),
        updated_at: now,
    };
    if existing.is_some() {
        store::update(conn, &row)?;
        audit(
            conn,
            actor,
            "update_domain_block",
            &row.domain,
            row.private_comment.as_deref(),
        )?;
    } else {
        store::insert(conn, &row)?;
        audit(
            conn,
            actor,
            "create_domain_block",
            &row.domain,
            row.private_comment.as_deref(),
        )?;
    }
    // A moderator's own write makes the policy a local decision: shared sources no longer
    // change or retract it (`crate::shared_moderation`).
    kith_storage::sharing::set_managed(conn, &row.domain, false)?;
    apply_effects(conn, &row)?;
    Ok(row)
}

/// Removes a policy; `NotFound` if there is none with this id.
pub fn remove(conn: &mut DbConn, actor: i64, id: i64) -> Result<DomainPolicy, StorageError> {
    let row = store::by_id(conn, id)?;
    store::delete(conn, id)?;
    audit(conn, actor, "destroy_domain_block", &row.domain, None)?;
    Ok(row)
}

/// The one-off effects of a suspension, in the caller's transaction: follows between local
/// accounts and the domain's accounts are severed both ways and queued deliveries to it are
/// dropped; with a suspension or `reject_media`, the attachments, avatars, headers and custom
/// emoji kept of its accounts are forgotten. (What it refuses from now on is decided by [`refuses`] on every request.)
pub fn apply_effects(conn: &mut DbConn, policy: &DomainPolicy) -> Result<(), StorageError> {
    if severity_of(policy) == Severity::Suspend {
        let severed = store::sever_follows(conn, &policy.domain)?;
        let dropped = store::drop_deliveries(conn, &policy.domain)?;
        tracing::info!(domain = %policy.domain, severed, dropped, "domain suspended");
    }
    if policy.reject_media || severity_of(policy) == Severity::Suspend {
        // What was kept of its media goes too (as Mastodon purges its cache); new media is
        // refused as it arrives (`rejects_media`).
        let accounts = store::strip_media(conn, &policy.domain)?;
        tracing::info!(domain = %policy.domain, accounts, "domain's media rejected");
    }
    Ok(())
}

/// Adds a domain (normalized by [`normalize_domain`]) to the allow-list, or returns the entry it
/// has.
pub fn allow(conn: &mut DbConn, actor: i64, domain: &str) -> Result<DomainAllow, StorageError> {
    let domain = domain.to_owned();
    if let Some(existing) = store::allow_by_domain(conn, &domain).optional()? {
        return Ok(existing);
    }
    let row = DomainAllow {
        id: kith_storage::id::new_id(),
        domain,
        created_at: kith_storage::now(),
    };
    store::insert_allow(conn, &row)?;
    audit(conn, actor, "create_domain_allow", &row.domain, None)?;
    Ok(row)
}

/// Removes a domain from the allow-list; `NotFound` if there is no such entry.
pub fn disallow(conn: &mut DbConn, actor: i64, id: i64) -> Result<DomainAllow, StorageError> {
    let row = store::allow_by_id(conn, id)?;
    store::delete_allow(conn, id)?;
    audit(conn, actor, "destroy_domain_allow", &row.domain, None)?;
    Ok(row)
}

/// The domain as the public list shows it: with `obfuscate`, every other character of the
/// name (not the dots) replaced by `*`, as Mastodon does.
pub fn public_domain(policy: &DomainPolicy) -> String {
    if !policy.obfuscate {
        return policy.domain.clone();
    }
    let chars: Vec<char> = policy.domain.chars().collect();
    let len = chars.len();
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if i > 0 && i + 1 < len && *c != '.' && i % 2 == 1 {
                '*'
            } else {
                *c
            }
        })
        .collect()
}

/// The header line of Mastodon's blocklist CSV.
pub const CSV_HEADER: [&str; 6] = [
    "#domain",
    "#severity",
    "#reject_media",
    "#reject_reports",
    "#public_comment",
    "#obfuscate",
];

/// Every policy as Mastodon's blocklist CSV (private comments are not exported).
pub fn export_csv(policies: &[DomainPolicy]) -> Result<String, CoreError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let internal = |e: csv::Error| CoreError::Internal(format!("CSV: {e}"));
    w.write_record(CSV_HEADER).map_err(internal)?;
    for p in policies {
        w.write_record([
            p.domain.as_str(),
            p.severity.as_str(),
            if p.reject_media { "true" } else { "false" },
            if p.reject_reports { "true" } else { "false" },
            p.public_comment.as_deref().unwrap_or(""),
            if p.obfuscate { "true" } else { "false" },
        ])
        .map_err(internal)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| CoreError::Internal(format!("CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| CoreError::Internal(e.to_string()))
}

/// One bad row of an imported CSV: its line number (1 is the first line) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvError {
    pub line: u64,
    pub message: String,
}

impl std::fmt::Display for CsvError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Reads Mastodon's blocklist CSV (with its `#domain,…` header, or Mastodon's older headerless
/// one-domain-per-line form). Every bad row is reported; nothing is returned unless all rows
/// are good.
pub fn parse_csv(text: &str) -> Result<Vec<PolicyInput>, Vec<CsvError>> {
    let (out, mut errors) = parse_csv_lenient(text);
    let mut seen = std::collections::HashSet::new();
    for (i, p) in out.iter().enumerate() {
        if !seen.insert(p.domain.clone()) {
            errors.push(CsvError {
                line: 0,
                message: format!("{} is listed more than once (entry {})", p.domain, i + 1),
            });
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        errors.sort_by_key(|e| e.line);
        Err(errors)
    }
}

/// Reads Mastodon's blocklist CSV as [`parse_csv`] does, but keeps the good rows beside the
/// bad ones (for a subscribed list, where one bad row must not lose the rest).
pub fn parse_csv_lenient(text: &str) -> (Vec<PolicyInput>, Vec<CsvError>) {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut columns: Option<Vec<String>> = None;
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                errors.push(CsvError {
                    line,
                    message: e.to_string(),
                });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if columns.is_none() && record.get(0).is_some_and(|f| f.trim().starts_with('#')) {
            columns = Some(
                record
                    .iter()
                    .map(|f| f.trim().trim_start_matches('#').to_owned())
                    .collect(),
            );
            continue;
        }
        let cols = columns.get_or_insert_with(|| vec!["domain".to_owned()]);
        match row(cols, &record) {
            Ok(input) => out.push(input),
            Err(message) => errors.push(CsvError { line, message }),
        }
    }
    (out, errors)
}

fn row(cols: &[String], record: &csv::StringRecord) -> Result<PolicyInput, String> {
    let get = |name: &str| {
        cols.iter()
            .position(|c| c == name)
            .and_then(|i| record.get(i))
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let flag = |name: &str| -> Result<bool, String> {
        match get(name) {
            None => Ok(false),
            Some(v) if v.eq_ignore_ascii_case("true") || v == "1" => Ok(true),
            Some(v) if v.eq_ignore_ascii_case("false") || v == "0" => Ok(false),
            Some(v) => Err(format!("#{name} must be true or false, not {v:?}")),
        }
    };
    let domain = get("domain").ok_or("the domain is missing")?;
    let domain = normalize_domain(domain).map_err(|e| e.to_string())?;
    let severity = match get("severity") {
        None => Severity::Suspend,
        Some(s) => Severity::parse(s)
            .ok_or_else(|| format!("#severity must be suspend, silence or noop, not {s:?}"))?,
    };
    Ok(PolicyInput {
        domain,
        severity,
        reject_media: flag("reject_media")?,
        reject_reports: flag("reject_reports")?,
        private_comment: None,
        public_comment: get("public_comment").map(str::to_owned),
        obfuscate: flag("obfuscate")?,
    })
}

/// Applies every row of an import (the caller's one transaction: all or nothing); an existing
/// policy for a domain is replaced. Returns the stored rows.
pub fn import(
    conn: &mut DbConn,
    actor: i64,
    rows: &[PolicyInput],
) -> Result<Vec<DomainPolicy>, StorageError> {
    rows.iter().map(|r| upsert(conn, actor, r)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_are_read_and_bad_ones_named_by_line() {
        let good = "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n\
                    spam.example,suspend,false,false,\"Spam, lots\",false\n\
                    loud.example,silence,true,false,,true\n";
        let rows = parse_csv(good).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].public_comment.as_deref(), Some("Spam, lots"));
        assert_eq!(rows[1].severity, Severity::Silence);
        assert!(rows[1].reject_media && rows[1].obfuscate);

        let bad = "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n\
                   ok.example,suspend,false,false,,false\n\
                   bad example,suspend,false,false,,false\n\
                   ok2.example,banish,false,false,,false\n\
                   ok3.example,noop,maybe,false,,false\n";
        let errors = parse_csv(bad).unwrap_err();
        assert_eq!(errors.iter().map(|e| e.line).collect::<Vec<_>>(), [3, 4, 5]);
    }

    #[test]
    fn exported_csv_reads_back_the_same() {
        let now = kith_storage::now();
        let p = DomainPolicy {
            id: 1,
            domain: "a.example".into(),
            severity: "silence".into(),
            reject_media: true,
            reject_reports: false,
            private_comment: Some("secret".into()),
            public_comment: Some("noisy, \"very\"".into()),
            obfuscate: true,
            created_at: now,
            updated_at: now,
        };
        let text = export_csv(std::slice::from_ref(&p)).unwrap();
        assert!(!text.contains("secret"));
        let back = parse_csv(&text).unwrap();
        assert_eq!(back[0].domain, "a.example");
        assert_eq!(back[0].severity, Severity::Silence);
        assert_eq!(back[0].public_comment.as_deref(), Some("noisy, \"very\""));
        assert!(back[0].reject_media && back[0].obfuscate && !back[0].reject_reports);
    }

    #[test]
    fn obfuscation_hides_part_of_the_name() {
        let now = kith_storage::now();
        let mut p = DomainPolicy {
            id: 1,
            domain: "badplace.example".into(),
            severity: "suspend".into(),
            reject_media: false,
            reject_reports: false,
            private_comment: None,
            public_comment: None,
            obfuscate: false,
            created_at: now,
            updated_at: now,
        };
        assert_eq!(public_domain(&p), "badplace.example");
        p.obfuscate = true;
        let shown = public_domain(&p);
        assert_ne!(shown, "badplace.example");
        assert!(shown.contains('*') && shown.starts_with('b') && shown.ends_with('e'));
    }
}
