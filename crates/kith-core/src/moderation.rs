//! Moderation of accounts inside the instance: who is staff, who may act on whom, and the
//! account actions (warn, mark sensitive, disable, limit/silence, suspend, and their undoing),
//! each written to the audit log and, for a local account, shown to it as a warning.
//!
//! Invariants: a moderator never acts on an admin; every action is one transaction with its
//! audit entry. Effects live elsewhere and read the state kept here: a suspended, disabled or
//! unapproved account cannot sign in or use its tokens (`may_sign_in`, used by
//! `tokens::authenticate` and `accounts::check_password`); a silenced account's posts reach
//! only its followers and a suspended one's nobody (`kith_storage::statuses::visible_to`); a
//! suspended local actor answers 410. Deletion, which must tell other servers, is in
//! `kith_federation::moderation`.

use crate::accounts::Role;
use crate::notifications::{notify_of, NotificationKind};
use crate::{audit, CoreError};
use kith_storage::moderation::{self, AccountModeration, AccountWarning};
use kith_storage::{accounts, statuses, users, DbConn, OptionalExt, StorageError};
use std::str::FromStr;

/// Whether the local account may sign in and use its tokens now.
pub fn may_sign_in(conn: &mut DbConn, account_id: i64) -> Result<bool, StorageError> {
    let s = moderation::state(conn, account_id)?;
    Ok(s.suspended_at.is_none() && s.disabled_at.is_none() && s.approved)
}

/// Someone acting as staff: their account id and role.
#[derive(Debug, Clone, Copy)]
pub struct Staff {
    pub account_id: i64,
    pub role: Role,
}

impl Staff {
    /// The staff member for a role, if the role is admin or moderator.
    pub fn new(account_id: i64, role: Option<Role>) -> Option<Staff> {
        match role {
            Some(r @ (Role::Admin | Role::Moderator)) => Some(Staff {
                account_id,
                role: r,
            }),
            _ => None,
        }
    }
}

/// Refuses a moderator acting on an admin, and anyone acting on themselves.
pub fn check_may_act_on(conn: &mut DbConn, staff: Staff, target: i64) -> Result<(), CoreError> {
    if target == staff.account_id {
        return Err(CoreError::Forbidden("You cannot moderate yourself".into()));
    }
    let target_role = users::by_account_id(conn, target)
        .optional()?
        .map(|u| u.role);
    if staff.role != Role::Admin && target_role.as_deref() == Some("admin") {
        return Err(CoreError::Forbidden(
            "A moderator cannot act on an admin".into(),
        ));
    }
    Ok(())
}

/// An action on an account, as Mastodon's `POST /api/v1/admin/accounts/:id/action` names them
/// (`none` is a warning only), plus the undoing ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountAction {
    /// A warning and nothing else.
    Warn,
    /// Mark all the account's media sensitive from now on.
    Sensitive,
    Unsensitive,
    /// Disable the local account's login.
    Disable,
    Enable,
    /// Limit: its posts reach only its followers.
    Silence,
    Unsilence,
    /// Suspend: hidden, cannot sign in; data kept, reversible.
    Suspend,
    Unsuspend,
}

impl AccountAction {
    /// The name written to the audit log and the warning.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountAction::Warn => "none",
            AccountAction::Sensitive => "sensitive",
            AccountAction::Unsensitive => "unsensitive",
            AccountAction::Disable => "disable",
            AccountAction::Enable => "enable",
            AccountAction::Silence => "silence",
            AccountAction::Unsilence => "unsilence",
            AccountAction::Suspend => "suspend",
            AccountAction::Unsuspend => "unsuspend",
        }
    }

    fn is_undo(self) -> bool {
        matches!(
            self,
            AccountAction::Unsensitive
                | AccountAction::Enable
                | AccountAction::Unsilence
                | AccountAction::Unsuspend
        )
    }
}

impl FromStr for AccountAction {
    type Err = CoreError;
    /// Mastodon's `type` values (`limit` is accepted for `silence`).
    fn from_str(s: &str) -> Result<AccountAction, CoreError> {
        Ok(match s {
            "none" | "warn" => AccountAction::Warn,
            "sensitive" => AccountAction::Sensitive,
            "unsensitive" => AccountAction::Unsensitive,
            "disable" => AccountAction::Disable,
            "enable" => AccountAction::Enable,
            "silence" | "limit" => AccountAction::Silence,
            "unsilence" | "unlimit" => AccountAction::Unsilence,
            "suspend" => AccountAction::Suspend,
            "unsuspend" => AccountAction::Unsuspend,
            _ => {
                return Err(CoreError::Invalid(format!(
                    "type must be none, sensitive, disable, silence or suspend, not {s:?}"
                )))
            }
        })
    }
}

/// What goes with an account action.
#[derive(Debug, Clone, Default)]
pub struct ActionDetails {
    /// The report it answers (resolved by the action).
    pub report_id: Option<i64>,
    /// A message for the account, also kept as the audit log's reason.
    pub text: String,
    /// Whether to notify the account (a local one) of the warning.
    pub notify: bool,
}

/// Takes `action` on `target` as `staff`, in the caller's transaction: the state change, the
/// audit entry, a warning the account can read (for a local account, and not for undoing
/// actions), and resolving the report named. Refused on oneself and, for a moderator, on an
/// admin; `Disable` only applies to local accounts.
pub fn act(
    conn: &mut DbConn,
    staff: Staff,
    target: i64,
    action: AccountAction,
    details: &ActionDetails,
) -> Result<(), CoreError> {
    let account = accounts::by_id(conn, target)?;
    check_may_act_on(conn, staff, target)?;
    if let Some(report_id) = details.report_id {
        let report = moderation::report(conn, report_id)?.ok_or(CoreError::NotFound)?;
        if report.target_account_id != target {
            return Err(CoreError::Invalid(
                "report_id names a report about another account".into(),
            ));
        }
    }
    let now = kith_storage::now();
    let mut s = moderation::state(conn, target)?;
    match action {
        AccountAction::Warn => {}
        AccountAction::Sensitive => s.sensitized_at = Some(now),
        AccountAction::Unsensitive => s.sensitized_at = None,
        AccountAction::Disable | AccountAction::Enable if !account.is_local() => {
            return Err(CoreError::Invalid(
                "only local accounts can be disabled".into(),
            ));
        }
        AccountAction::Disable => s.disabled_at = Some(now),
        AccountAction::Enable => s.disabled_at = None,
        AccountAction::Silence => s.silenced_at = Some(now),
        AccountAction::Unsilence => s.silenced_at = None,
        AccountAction::Suspend => s.suspended_at = Some(now),
        AccountAction::Unsuspend => s.suspended_at = None,
    }
    moderation::set_state(conn, &s)?;
    let text = details.text.trim();
    audit::record(
        conn,
        staff.account_id,
        action.as_str(),
        "account",
        &target.to_string(),
        Some(text),
    )?;
    if account.is_local() && !action.is_undo() {
        let status_ids = match details.report_id {
            Some(r) => moderation::report(conn, r)?
                .map(|r| r.status_ids)
                .unwrap_or_default(),
            None => String::new(),
        };
        let warning_id = kith_storage::id::new_id();
        moderation::insert_warning(
            conn,
            &AccountWarning {
                id: warning_id,
                account_id: staff.account_id,
                target_account_id: target,
                action: action.as_str().to_owned(),
                text: text.to_owned(),
                report_id: details.report_id,
                status_ids,
                created_at: now,
            },
        )?;
        if details.notify {
            notify_of(
                conn,
                target,
                staff.account_id,
                NotificationKind::ModerationWarning,
                None,
                Some(warning_id),
            )?;
        }
    }
    if let Some(report_id) = details.report_id {
        resolve_report(conn, staff, report_id, true)?;
    }
    Ok(())
}

/// Approves (`true`) or rejects (`false`) a local sign-up waiting for approval. A rejected
/// sign-up is deleted, as Mastodon does. Returns `NotFound` for an account not waiting.
pub fn decide_sign_up(
    conn: &mut DbConn,
    staff: Staff,
    target: i64,
    approve: bool,
) -> Result<(), CoreError> {
    let mut s = moderation::state(conn, target)?;
    if s.approved {
        return Err(CoreError::NotFound);
    }
    if approve {
        s.approved = true;
        moderation::set_state(conn, &s)?;
    } else {
        moderation::set_state(conn, &AccountModeration::clear(target))?;
        accounts::delete(conn, target)?;
    }
    audit::record(
        conn,
        staff.account_id,
        if approve { "approve" } else { "reject" },
        "account",
        &target.to_string(),
        None,
    )?;
    Ok(())
}

/// Resolves (`true`) or reopens (`false`) a report, with its audit entry.
pub fn resolve_report(
    conn: &mut DbConn,
    staff: Staff,
    report_id: i64,
    resolve: bool,
) -> Result<(), CoreError> {
    moderation::report(conn, report_id)?.ok_or(CoreError::NotFound)?;
    moderation::resolve_report(conn, report_id, resolve.then_some(staff.account_id))?;
    audit::record(
        conn,
        staff.account_id,
        if resolve { "resolve" } else { "reopen" },
        "report",
        &report_id.to_string(),
        None,
    )?;
    Ok(())
}

/// Assigns a report to `staff` (`true`) or to nobody (`false`), with its audit entry.
pub fn assign_report(
    conn: &mut DbConn,
    staff: Staff,
    report_id: i64,
    to_self: bool,
) -> Result<(), CoreError> {
    moderation::report(conn, report_id)?.ok_or(CoreError::NotFound)?;
    moderation::assign_report(conn, report_id, to_self.then_some(staff.account_id))?;
    audit::record(
        conn,
        staff.account_id,
        if to_self {
            "assign_to_self"
        } else {
            "unassign"
        },
        "report",
        &report_id.to_string(),
        None,
    )?;
    Ok(())
}

/// Adds a note to a report, with its audit entry.
pub fn add_note(
    conn: &mut DbConn,
    staff: Staff,
    report_id: i64,
    content: &str,
) -> Result<moderation::ReportNote, CoreError> {
    moderation::report(conn, report_id)?.ok_or(CoreError::NotFound)?;
    let content = content.trim();
    if content.is_empty() || content.chars().count() > 2000 {
        return Err(CoreError::Invalid(
            "a note must have 1 to 2000 characters".into(),
        ));
    }
    let note = moderation::ReportNote {
        id: kith_storage::id::new_id(),
        report_id,
        account_id: staff.account_id,
        content: content.to_owned(),
        created_at: kith_storage::now(),
    };
    moderation::insert_note(conn, &note)?;
    audit::record(
        conn,
        staff.account_id,
        "create_note",
        "report",
        &report_id.to_string(),
        None,
    )?;
    Ok(note)
}

/// Marks statuses sensitive as `staff` (each audited). Deleting a status must tell other
/// servers and is in `kith_federation::moderation`.
pub fn mark_sensitive(
    conn: &mut DbConn,
    staff: Staff,
    status_ids: &[i64],
) -> Result<(), CoreError> {
    for status in statuses::by_ids(conn, status_ids)? {
        check_may_act_on(conn, staff, status.account_id)?;
        statuses::set_sensitive(conn, status.id, true)?;
        audit::record(
            conn,
            staff.account_id,
            "mark_sensitive",
            "status",
            &status.id.to_string(),
            None,
        )?;
    }
    Ok(())
}
