//! Moderation entities: `Report` (what a reporter sees), `Admin::Account`, `Admin::Report`,
//! `AccountWarning`, and Kith's own shapes for report notes, audit log entries and invites
//! (Mastodon has no API for those; they are documented in docs/moderation.md).

use super::account::{role_to_api, Account, Role};
use super::status::{accounts_view, statuses_view, Status};
use super::timestamp;
use kith_core::reports::split_ids;
use kith_core::InstanceUrls;
use kith_storage::accounts::{self, Account as AccountRow};
use kith_storage::moderation::{
    self, AccountModeration, AccountWarning, AdminAccountRow, AuditEntry, Invite,
    Report as ReportRow, ReportNote,
};
use kith_storage::users::User;
use kith_storage::{statuses, users, DbConn, OptionalExt, StorageError};
use serde::Serialize;
use std::collections::HashMap;

/// Mastodon's `Report`, as the reporter sees it.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub id: String,
    pub action_taken: bool,
    pub action_taken_at: Option<String>,
    pub category: String,
    pub comment: String,
    pub forwarded: bool,
    pub created_at: String,
    pub status_ids: Vec<String>,
    pub rule_ids: Vec<String>,
    pub target_account: Account,
}

fn id_strings(s: &str) -> Vec<String> {
    split_ids(s).iter().map(i64::to_string).collect()
}

/// A report for its reporter.
pub fn report_view(
    c: &mut DbConn,
    r: &ReportRow,
    urls: &InstanceUrls,
) -> Result<Report, StorageError> {
    let target = accounts::by_id(c, r.target_account_id)?;
    // Forwarded: asked for, about an account on another server (`POST /api/v1/reports`
    // forwards it in the same transaction).
    let forwarded = r.forward && !target.is_local();
    let target = accounts_view(c, &[target], urls)?.remove(0);
    Ok(Report {
        id: r.id.to_string(),
        action_taken: r.action_taken_at.is_some(),
        action_taken_at: r.action_taken_at.map(timestamp),
        category: r.category.clone(),
        comment: r.comment.clone(),
        forwarded,
        created_at: timestamp(r.created_at),
        status_ids: id_strings(&r.status_ids),
        rule_ids: id_strings(&r.rule_ids),
        target_account: target,
    })
}

/// An appeal against a warning (Kith takes none: always `null`).
#[derive(Debug, Clone, Serialize)]
pub struct Appeal {
    pub text: String,
    pub state: String,
}

/// Mastodon's `AccountWarning`: a moderation action as the account it was taken against sees
/// it (in a `moderation_warning` notification).
#[derive(Debug, Clone, Serialize)]
pub struct AccountWarningEntity {
    pub id: String,
    /// `none` (a warning), `disable`, `sensitive`, `silence` or `suspend`.
    pub action: String,
    pub text: String,
    pub status_ids: Vec<String>,
    pub target_account: Account,
    pub appeal: Option<Appeal>,
    pub created_at: String,
}

/// A warning for the API.
pub fn warning_view(
    c: &mut DbConn,
    w: &AccountWarning,
    urls: &InstanceUrls,
) -> Result<AccountWarningEntity, StorageError> {
    let target = accounts::by_id(c, w.target_account_id)?;
    let target = accounts_view(c, &[target], urls)?.remove(0);
    Ok(AccountWarningEntity {
        id: w.id.to_string(),
        action: w.action.clone(),
        text: w.text.clone(),
        status_ids: id_strings(&w.status_ids),
        target_account: target,
        appeal: None,
        created_at: timestamp(w.created_at),
    })
}

/// The reports and warnings a page of notifications is about, loaded once each.
#[derive(Debug, Default)]
pub(crate) struct Subjects {
    reports: HashMap<i64, Report>,
    warnings: HashMap<i64, AccountWarningEntity>,
}

impl Subjects {
    /// Loads what a notification of `kind` about `subject` needs (nothing for other kinds).
    pub(crate) fn load(
        &mut self,
        c: &mut DbConn,
        kind: &str,
        subject: Option<i64>,
        urls: &InstanceUrls,
    ) -> Result<(), StorageError> {
        let Some(id) = subject else { return Ok(()) };
        match kind {
            "admin.report" if !self.reports.contains_key(&id) => {
                if let Some(r) = moderation::report(c, id)? {
                    let view = report_view(c, &r, urls)?;
                    self.reports.insert(id, view);
                }
            }
            "moderation_warning" if !self.warnings.contains_key(&id) => {
                if let Some(w) = moderation::warning(c, id)? {
                    let view = warning_view(c, &w, urls)?;
                    self.warnings.insert(id, view);
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The report and the warning a notification carries.
    pub(crate) fn of(
        &self,
        kind: &str,
        subject: Option<i64>,
    ) -> (Option<Report>, Option<AccountWarningEntity>) {
        let Some(id) = subject else {
            return (None, None);
        };
        match kind {
            "admin.report" => (self.reports.get(&id).cloned(), None),
            "moderation_warning" => (None, self.warnings.get(&id).cloned()),
            _ => (None, None),
        }
    }
}

/// An address the account was seen at (Kith keeps none).
#[derive(Debug, Clone, Serialize)]
pub struct Ip {
    pub ip: String,
    pub used_at: String,
}

/// Mastodon's `Admin::Account`.
#[derive(Debug, Clone, Serialize)]
pub struct AdminAccount {
    pub id: String,
    pub username: String,
    pub domain: Option<String>,
    pub created_at: String,
    pub email: String,
    pub ip: Option<String>,
    pub ips: Vec<Ip>,
    pub locale: String,
    pub invite_request: Option<String>,
    pub role: Role,
    pub confirmed: bool,
    pub approved: bool,
    pub disabled: bool,
    pub silenced: bool,
    pub suspended: bool,
    pub sensitized: bool,
    pub account: Account,
    /// Kith: the account was deleted (its row is kept as a tombstone).
    pub deleted: bool,
}

fn admin_account(
    row: &AccountRow,
    user: Option<&User>,
    state: Option<&AccountModeration>,
    account: Account,
) -> AdminAccount {
    let clear = AccountModeration::clear(row.id);
    let s = state.unwrap_or(&clear);
    AdminAccount {
        id: row.id.to_string(),
        username: row.username.clone(),
        domain: row.domain.clone(),
        created_at: timestamp(row.created_at),
        email: user.and_then(|u| u.email.clone()).unwrap_or_default(),
        ip: None,
        ips: Vec::new(),
        locale: String::new(),
        invite_request: s.sign_up_reason.clone(),
        role: role_to_api(user.map(|u| u.role.as_str()).unwrap_or("user")),
        confirmed: true,
        approved: s.approved,
        disabled: s.disabled_at.is_some(),
        silenced: s.silenced_at.is_some(),
        suspended: s.suspended_at.is_some(),
        sensitized: s.sensitized_at.is_some(),
        account,
        deleted: s.deleted_at.is_some(),
    }
}

/// Admin views of these accounts (rows as the admin list loads them), in order.
pub fn admin_accounts_view(
    c: &mut DbConn,
    rows: &[AdminAccountRow],
    urls: &InstanceUrls,
) -> Result<Vec<AdminAccount>, StorageError> {
    let plain: Vec<AccountRow> = rows.iter().map(|(a, _, _)| a.clone()).collect();
    let views = accounts_view(c, &plain, urls)?;
    Ok(rows
        .iter()
        .zip(views)
        .map(|((a, u, s), v)| admin_account(a, u.as_ref(), s.as_ref(), v))
        .collect())
}

/// The admin view of the accounts with these ids (those that exist), keyed by id.
pub fn admin_accounts_by_id(
    c: &mut DbConn,
    ids: &[i64],
    urls: &InstanceUrls,
) -> Result<HashMap<i64, AdminAccount>, StorageError> {
    let mut rows = Vec::new();
    let states: HashMap<i64, AccountModeration> = moderation::states(c, ids)?
        .into_iter()
        .map(|s| (s.account_id, s))
        .collect();
    for &id in ids {
        if let Some(a) = accounts::by_id(c, id).optional()? {
            let u = users::by_account_id(c, id).optional()?;
            rows.push((a, u, states.get(&id).cloned()));
        }
    }
    Ok(admin_accounts_view(c, &rows, urls)?
        .into_iter()
        .map(|a| (a.id.parse().unwrap_or_default(), a))
        .collect())
}

/// A rule a report names (Kith keeps the ids; the rules' texts are the instance's).
#[derive(Debug, Clone, Serialize)]
pub struct ReportRule {
    pub id: String,
    pub text: String,
    pub hint: String,
}

/// Mastodon's `Admin::Report`.
#[derive(Debug, Clone, Serialize)]
pub struct AdminReport {
    pub id: String,
    pub action_taken: bool,
    pub action_taken_at: Option<String>,
    pub category: String,
    pub comment: String,
    pub forwarded: bool,
    pub created_at: String,
    pub updated_at: String,
    pub account: AdminAccount,
    pub target_account: AdminAccount,
    pub assigned_account: Option<AdminAccount>,
    pub action_taken_by_account: Option<AdminAccount>,
    pub statuses: Vec<Status>,
    pub rules: Vec<ReportRule>,
    /// Kith: the domain a report received as a `Flag` came from.
    pub origin_domain: Option<String>,
    /// Kith: the report was shared by a member of this instance's moderation cohort.
    pub via_cohort: bool,
}

/// Admin views of these reports, in order. The reported statuses are shown to the moderator
/// whoever may otherwise see them.
pub fn admin_reports_view(
    c: &mut DbConn,
    rows: &[ReportRow],
    viewer: i64,
    urls: &InstanceUrls,
) -> Result<Vec<AdminReport>, StorageError> {
    let mut ids: Vec<i64> = Vec::new();
    for r in rows {
        ids.push(r.account_id);
        ids.push(r.target_account_id);
        ids.extend(r.assigned_account_id);
        ids.extend(r.action_taken_by_account_id);
    }
    ids.sort_unstable();
    ids.dedup();
    let accounts = admin_accounts_by_id(c, &ids, urls)?;
    let report_ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let via_cohort = kith_storage::sharing::cohort_report_ids(c, &report_ids)?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let (Some(account), Some(target)) = (
            accounts.get(&r.account_id).cloned(),
            accounts.get(&r.target_account_id).cloned(),
        ) else {
            continue;
        };
        let status_rows = statuses::by_ids(c, &split_ids(&r.status_ids))?;
        out.push(AdminReport {
            id: r.id.to_string(),
            action_taken: r.action_taken_at.is_some(),
            action_taken_at: r.action_taken_at.map(timestamp),
            category: r.category.clone(),
            comment: r.comment.clone(),
            forwarded: r.origin_domain.is_some(),
            created_at: timestamp(r.created_at),
            updated_at: timestamp(r.updated_at),
            account,
            target_account: target,
            assigned_account: r
                .assigned_account_id
                .and_then(|id| accounts.get(&id).cloned()),
            action_taken_by_account: r
                .action_taken_by_account_id
                .and_then(|id| accounts.get(&id).cloned()),
            statuses: statuses_view(c, &status_rows, Some(viewer), urls)?,
            rules: split_ids(&r.rule_ids)
                .into_iter()
                .map(|id| ReportRule {
                    id: id.to_string(),
                    text: String::new(),
                    hint: String::new(),
                })
                .collect(),
            origin_domain: r.origin_domain.clone(),
            via_cohort: via_cohort.contains(&r.id),
        });
    }
    Ok(out)
}

/// A moderator's note on a report (Kith).
#[derive(Debug, Clone, Serialize)]
pub struct Note {
    pub id: String,
    pub report_id: String,
    pub account_id: String,
    pub content: String,
    pub created_at: String,
}

/// A note for the API.
pub fn note_to_api(n: &ReportNote) -> Note {
    Note {
        id: n.id.to_string(),
        report_id: n.report_id.to_string(),
        account_id: n.account_id.to_string(),
        content: n.content.clone(),
        created_at: timestamp(n.created_at),
    }
}

/// An audit log entry (Kith).
#[derive(Debug, Clone, Serialize)]
pub struct AuditLogEntry {
    pub id: String,
    /// Who acted.
    pub account_id: String,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub reason: Option<String>,
    pub created_at: String,
}

/// An audit log entry for the API.
pub fn audit_to_api(e: &AuditEntry) -> AuditLogEntry {
    AuditLogEntry {
        id: e.id.to_string(),
        account_id: e.account_id.to_string(),
        action: e.action.clone(),
        target_type: e.target_type.clone(),
        target_id: e.target_id.clone(),
        reason: e.reason.clone(),
        created_at: timestamp(e.created_at),
    }
}

/// An invite (Kith).
#[derive(Debug, Clone, Serialize)]
pub struct InviteEntity {
    pub id: String,
    /// Given as `invite_code` to `POST /api/v1/accounts`.
    pub code: String,
    pub max_uses: Option<i32>,
    pub uses: i32,
    pub expires_at: Option<String>,
    pub created_at: String,
}

/// An invite for the API.
pub fn invite_to_api(i: &Invite) -> InviteEntity {
    InviteEntity {
        id: i.id.to_string(),
        code: i.code.clone(),
        max_uses: i.max_uses,
        uses: i.uses,
        expires_at: i.expires_at.map(timestamp),
        created_at: timestamp(i.created_at),
    }
}
