//! Moderation rows: the audit log, reports and their notes, the moderation state of accounts
//! (silenced, suspended, sensitized, disabled, awaiting approval), warnings, and invites.
//! The rules for using them are in `kith_core::audit`, `kith_core::reports` and
//! `kith_core::moderation`.

use crate::pool::DbConn;
use crate::schema::{
    account_moderation, account_warnings, audit_log, invites, report_notes, reports,
};
use crate::StorageError;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// One entry of the audit log.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_log)]
pub struct AuditEntry {
    pub id: i64,
    pub account_id: i64,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub reason: Option<String>,
    pub created_at: NaiveDateTime,
}

/// Appends an entry to the audit log.
pub fn insert_audit(conn: &mut DbConn, entry: &AuditEntry) -> Result<(), StorageError> {
    diesel::insert_into(audit_log::table)
        .values(entry)
        .execute(conn)?;
    Ok(())
}

/// Audit log entries, newest first, optionally only one actor's, before `max_id`.
pub fn audit_entries(
    conn: &mut DbConn,
    account_id: Option<i64>,
    max_id: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditEntry>, StorageError> {
    let mut q = audit_log::table.into_boxed();
    if let Some(a) = account_id {
        q = q.filter(audit_log::account_id.eq(a));
    }
    if let Some(m) = max_id {
        q = q.filter(audit_log::id.lt(m));
    }
    Ok(q.order(audit_log::id.desc())
        .limit(limit.clamp(1, 200))
        .select(AuditEntry::as_select())
        .load(conn)?)
}

/// A report about an account. `status_ids` and `rule_ids` are space-separated ids.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Identifiable)]
#[diesel(table_name = reports)]
pub struct Report {
    pub id: i64,
    pub account_id: i64,
    pub target_account_id: i64,
    pub status_ids: String,
    pub category: String,
    pub comment: String,
    pub rule_ids: String,
    pub forward: bool,
    pub origin_domain: Option<String>,
    pub ap_id: Option<String>,
    pub assigned_account_id: Option<i64>,
    pub action_taken_at: Option<NaiveDateTime>,
    pub action_taken_by_account_id: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Which reports to list.
#[derive(Debug, Clone, Default)]
pub struct ReportFilter {
    /// `Some(true)`: only resolved ones; `Some(false)`: only open ones.
    pub resolved: Option<bool>,
    /// Filed by this account.
    pub account_id: Option<i64>,
    /// About this account.
    pub target_account_id: Option<i64>,
    pub max_id: Option<i64>,
    pub since_id: Option<i64>,
    pub min_id: Option<i64>,
    pub limit: i64,
}

/// Stores a new report.
pub fn insert_report(conn: &mut DbConn, report: &Report) -> Result<(), StorageError> {
    diesel::insert_into(reports::table)
        .values(report)
        .execute(conn)?;
    Ok(())
}

/// The report with this id.
pub fn report(conn: &mut DbConn, id: i64) -> Result<Option<Report>, StorageError> {
    Ok(reports::table
        .find(id)
        .select(Report::as_select())
        .first(conn)
        .optional()?)
}

/// Whether a report received as the `Flag` with this id is already filed (a redelivered Flag
/// files nothing more).
pub fn report_with_ap_id_exists(conn: &mut DbConn, ap_id: &str) -> Result<bool, StorageError> {
    let n: i64 = reports::table
        .filter(reports::ap_id.eq(ap_id))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Reports matching `f`, newest first (oldest first after `min_id`).
pub fn list_reports(conn: &mut DbConn, f: &ReportFilter) -> Result<Vec<Report>, StorageError> {
    let mut q = reports::table.into_boxed();
    match f.resolved {
        Some(true) => q = q.filter(reports::action_taken_at.is_not_null()),
        Some(false) => q = q.filter(reports::action_taken_at.is_null()),
        None => {}
    }
    if let Some(a) = f.account_id {
        q = q.filter(reports::account_id.eq(a));
    }
    if let Some(t) = f.target_account_id {
        q = q.filter(reports::target_account_id.eq(t));
    }
    if let Some(m) = f.max_id {
        q = q.filter(reports::id.lt(m));
    }
    if let Some(s) = f.since_id {
        q = q.filter(reports::id.gt(s));
    }
    let q = if let Some(m) = f.min_id {
        q.filter(reports::id.gt(m)).order(reports::id.asc())
    } else {
        q.order(reports::id.desc())
    };
    let mut rows = q
        .limit(f.limit.clamp(1, 200))
        .select(Report::as_select())
        .load(conn)?;
    if f.min_id.is_some() {
        rows.reverse();
    }
    Ok(rows)
}

/// Sets who a report is assigned to (`None`: nobody).
pub fn assign_report(
    conn: &mut DbConn,
    id: i64,
    assignee: Option<i64>,
) -> Result<(), StorageError> {
    diesel::update(reports::table.find(id))
        .set((
            reports::assigned_account_id.eq(assignee),
            reports::updated_at.eq(crate::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Marks a report resolved by `by` (or reopens it with `None`).
pub fn resolve_report(conn: &mut DbConn, id: i64, by: Option<i64>) -> Result<(), StorageError> {
    let now = crate::now();
    diesel::update(reports::table.find(id))
        .set((
            reports::action_taken_at.eq(by.map(|_| now)),
            reports::action_taken_by_account_id.eq(by),
            reports::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// How many reports are open.
pub fn count_open_reports(conn: &mut DbConn) -> Result<i64, StorageError> {
    Ok(reports::table
        .filter(reports::action_taken_at.is_null())
        .count()
        .get_result(conn)?)
}

/// A moderator's note on a report.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = report_notes)]
pub struct ReportNote {
    pub id: i64,
    pub report_id: i64,
    pub account_id: i64,
    pub content: String,
    pub created_at: NaiveDateTime,
}

/// Adds a note to a report.
pub fn insert_note(conn: &mut DbConn, note: &ReportNote) -> Result<(), StorageError> {
    diesel::insert_into(report_notes::table)
        .values(note)
        .execute(conn)?;
    Ok(())
}

/// A report's notes, oldest first.
pub fn notes(conn: &mut DbConn, report_id: i64) -> Result<Vec<ReportNote>, StorageError> {
    Ok(report_notes::table
        .filter(report_notes::report_id.eq(report_id))
        .order(report_notes::id.asc())
        .select(ReportNote::as_select())
        .load(conn)?)
}

/// The moderation state of an account. Accounts without a row have none of it set and are
/// approved.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = account_moderation)]
#[diesel(treat_none_as_null = true)]
pub struct AccountModeration {
    pub account_id: i64,
    pub silenced_at: Option<NaiveDateTime>,
    pub suspended_at: Option<NaiveDateTime>,
    pub sensitized_at: Option<NaiveDateTime>,
    pub disabled_at: Option<NaiveDateTime>,
    pub deleted_at: Option<NaiveDateTime>,
    pub approved: bool,
    pub sign_up_reason: Option<String>,
}

impl AccountModeration {
    /// The state of an account nothing was ever set on.
    pub fn clear(account_id: i64) -> AccountModeration {
        AccountModeration {
            account_id,
            silenced_at: None,
            suspended_at: None,
            sensitized_at: None,
            disabled_at: None,
            deleted_at: None,
            approved: true,
            sign_up_reason: None,
        }
    }
}

/// The moderation state of an account (the clear state if it has no row).
pub fn state(conn: &mut DbConn, account_id: i64) -> Result<AccountModeration, StorageError> {
    Ok(account_moderation::table
        .find(account_id)
        .select(AccountModeration::as_select())
        .first(conn)
        .optional()?
        .unwrap_or_else(|| AccountModeration::clear(account_id)))
}

/// The moderation states of these accounts that have one.
pub fn states(
    conn: &mut DbConn,
    account_ids: &[i64],
) -> Result<Vec<AccountModeration>, StorageError> {
    Ok(account_moderation::table
        .filter(account_moderation::account_id.eq_any(account_ids))
        .select(AccountModeration::as_select())
        .load(conn)?)
}

/// Writes an account's moderation state.
pub fn set_state(conn: &mut DbConn, s: &AccountModeration) -> Result<(), StorageError> {
    let updated = diesel::update(account_moderation::table.find(s.account_id))
        .set(s)
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(account_moderation::table)
            .values(s)
            .execute(conn)?;
    }
    Ok(())
}

/// Ids of local accounts waiting for approval.
pub fn pending_ids(conn: &mut DbConn) -> Result<Vec<i64>, StorageError> {
    Ok(account_moderation::table
        .filter(account_moderation::approved.eq(false))
        .select(account_moderation::account_id)
        .load(conn)?)
}

/// A warning: a moderation action as the account it was taken against sees it.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = account_warnings)]
pub struct AccountWarning {
    pub id: i64,
    pub account_id: i64,
    pub target_account_id: i64,
    pub action: String,
    pub text: String,
    pub report_id: Option<i64>,
    pub status_ids: String,
    pub created_at: NaiveDateTime,
}

/// Stores a warning.
pub fn insert_warning(conn: &mut DbConn, w: &AccountWarning) -> Result<(), StorageError> {
    diesel::insert_into(account_warnings::table)
        .values(w)
        .execute(conn)?;
    Ok(())
}

/// One warning, if it exists.
pub fn warning(conn: &mut DbConn, id: i64) -> Result<Option<AccountWarning>, StorageError> {
    Ok(account_warnings::table
        .find(id)
        .select(AccountWarning::as_select())
        .first(conn)
        .optional()?)
}

/// The warnings an account received, newest first.
pub fn warnings_for(conn: &mut DbConn, target: i64) -> Result<Vec<AccountWarning>, StorageError> {
    Ok(account_warnings::table
        .filter(account_warnings::target_account_id.eq(target))
        .order(account_warnings::id.desc())
        .limit(100)
        .select(AccountWarning::as_select())
        .load(conn)?)
}

/// An invite code for invite-only registration.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = invites)]
pub struct Invite {
    pub id: i64,
    pub code: String,
    pub account_id: i64,
    pub max_uses: Option<i32>,
    pub uses: i32,
    pub expires_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

/// Stores a new invite.
pub fn insert_invite(conn: &mut DbConn, invite: &Invite) -> Result<(), StorageError> {
    diesel::insert_into(invites::table)
        .values(invite)
        .execute(conn)?;
    Ok(())
}

/// Every invite, newest first.
pub fn list_invites(conn: &mut DbConn) -> Result<Vec<Invite>, StorageError> {
    Ok(invites::table
        .order(invites::id.desc())
        .limit(200)
        .select(Invite::as_select())
        .load(conn)?)
}

/// Uses the invite with this code once, if it is still valid at `now`: one conditional
/// `UPDATE`, so two sign-ups can never both take an invite's last use. Returns whether it was.
pub fn use_invite(conn: &mut DbConn, code: &str, now: NaiveDateTime) -> Result<bool, StorageError> {
    let n = diesel::update(
        invites::table
            .filter(invites::code.eq(code))
            .filter(
                invites::expires_at
                    .is_null()
                    .or(invites::expires_at.gt(now)),
            )
            .filter(
                invites::max_uses
                    .is_null()
                    .or(invites::max_uses.gt(invites::uses.nullable())),
            ),
    )
    .set(invites::uses.eq(invites::uses + 1))
    .execute(conn)?;
    Ok(n == 1)
}

/// Deletes an invite; returns whether there was one.
pub fn delete_invite(conn: &mut DbConn, id: i64) -> Result<bool, StorageError> {
    Ok(diesel::delete(invites::table.find(id)).execute(conn)? == 1)
}

/// Ids of local accounts whose role is admin or moderator (and who are not suspended).
pub fn staff_ids(conn: &mut DbConn) -> Result<Vec<i64>, StorageError> {
    use crate::schema::users;
    Ok(users::table
        .left_join(
            account_moderation::table.on(account_moderation::account_id.eq(users::account_id)),
        )
        .filter(users::role.eq_any(["admin", "moderator"]))
        .filter(account_moderation::suspended_at.is_null())
        .select(users::account_id)
        .load(conn)?)
}

/// Removes what a deleted account had and did here: its statuses (with their mentions, tags,
/// favourites and feed entries), follows and blocks both ways, favourites, notifications to and
/// from it, its feed, tokens, codes and credentials, its profile fields, featured tags and
/// preferences, and notes by or about it. The account row itself stays (see
/// `account_moderation.deleted_at`).
pub fn purge_account_data(conn: &mut DbConn, id: i64) -> Result<(), StorageError> {
    use crate::schema::{
        account_notes, account_preferences, accounts, blocks, favourites, featured_tags, follows,
        home_feed, notifications, oauth_codes, oauth_tokens, statuses, users,
    };
    let own: Vec<i64> = statuses::table
        .filter(statuses::account_id.eq(id))
        .select(statuses::id)
        .load(conn)?;
    // Boosts of its posts by others go too.
    diesel::delete(statuses::table.filter(statuses::reblog_of_id.eq_any(&own))).execute(conn)?;
    diesel::delete(statuses::table.filter(statuses::account_id.eq(id))).execute(conn)?;
    diesel::delete(
        follows::table.filter(
            follows::account_id
                .eq(id)
                .or(follows::target_account_id.eq(id)),
        ),
    )
    .execute(conn)?;
    diesel::delete(
        blocks::table.filter(
            blocks::account_id
                .eq(id)
                .or(blocks::target_account_id.eq(id)),
        ),
    )
    .execute(conn)?;
    diesel::delete(favourites::table.filter(favourites::account_id.eq(id))).execute(conn)?;
    diesel::delete(
        notifications::table.filter(
            notifications::account_id
                .eq(id)
                .or(notifications::from_account_id.eq(id)),
        ),
    )
    .execute(conn)?;
    diesel::delete(home_feed::table.filter(home_feed::account_id.eq(id))).execute(conn)?;
    diesel::delete(oauth_tokens::table.filter(oauth_tokens::account_id.eq(id))).execute(conn)?;
    diesel::delete(oauth_codes::table.filter(oauth_codes::account_id.eq(id))).execute(conn)?;
    diesel::delete(users::table.filter(users::account_id.eq(id))).execute(conn)?;
    // Its profile fields, featured tags, preferences, and private notes by it or about it.
    diesel::update(accounts::table.find(id))
        .set(accounts::fields.eq("[]"))
        .execute(conn)?;
    diesel::delete(featured_tags::table.filter(featured_tags::account_id.eq(id))).execute(conn)?;
    diesel::delete(account_preferences::table.find(id)).execute(conn)?;
    diesel::delete(
        account_notes::table.filter(
            account_notes::account_id
                .eq(id)
                .or(account_notes::target_account_id.eq(id)),
        ),
    )
    .execute(conn)?;
    Ok(())
}

/// Which accounts the admin account list shows (Mastodon's v1 and v2 filters).
#[derive(Debug, Clone, Default)]
pub struct AccountFilter {
    /// `Some(true)`: local people only (not the instance actor); `Some(false)`: remote only.
    pub local: Option<bool>,
    /// One of `active`, `pending`, `disabled`, `silenced`, `suspended`.
    pub status: Option<String>,
    /// Only admins and moderators.
    pub staff: bool,
    /// Username containing this (case-insensitive).
    pub username: Option<String>,
    /// Display name containing this (case-insensitive).
    pub display_name: Option<String>,
    /// On this domain.
    pub by_domain: Option<String>,
    /// Email containing this (case-insensitive).
    pub email: Option<String>,
    pub max_id: Option<i64>,
    pub since_id: Option<i64>,
    pub limit: i64,
}

fn contains_pattern(s: &str) -> String {
    let escaped = s
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// An account with its credentials (local people) and moderation state (if any).
pub type AdminAccountRow = (
    crate::accounts::Account,
    Option<crate::users::User>,
    Option<AccountModeration>,
);

/// Accounts for the admin list, newest first, with their credentials and moderation state.
pub fn admin_accounts(
    conn: &mut DbConn,
    f: &AccountFilter,
) -> Result<Vec<AdminAccountRow>, StorageError> {
    use crate::accounts::{lower, Account};
    use crate::schema::{accounts, users};
    use crate::users::User;
    let mut q = accounts::table
        .left_join(users::table)
        .left_join(account_moderation::table)
        .into_boxed();
    match f.local {
        Some(true) => {
            q = q
                .filter(accounts::domain.is_null())
                .filter(users::account_id.nullable().is_not_null())
        }
        Some(false) => q = q.filter(accounts::domain.is_not_null()),
        None => {}
    }
    match f.status.as_deref() {
        Some("active") => {
            q = q
                .filter(account_moderation::suspended_at.is_null())
                .filter(account_moderation::disabled_at.is_null())
                .filter(
                    account_moderation::approved
                        .nullable()
                        .is_null()
                        .or(account_moderation::approved.nullable().eq(true)),
                )
        }
        Some("pending") => q = q.filter(account_moderation::approved.nullable().eq(false)),
        Some("disabled") => q = q.filter(account_moderation::disabled_at.is_not_null()),
        Some("silenced") => q = q.filter(account_moderation::silenced_at.is_not_null()),
        Some("suspended") => q = q.filter(account_moderation::suspended_at.is_not_null()),
        _ => {}
    }
    if f.staff {
        q = q.filter(users::role.nullable().eq_any(["admin", "moderator"]));
    }
    if let Some(u) = &f.username {
        q = q.filter(
            lower(accounts::username)
                .like(contains_pattern(u))
                .escape('\\'),
        );
    }
    if let Some(d) = &f.display_name {
        q = q.filter(
            lower(accounts::display_name)
                .like(contains_pattern(d))
                .escape('\\'),
        );
    }
    if let Some(d) = &f.by_domain {
        q = q.filter(accounts::domain.eq(d.to_lowercase()));
    }
    if let Some(e) = &f.email {
        q = q.filter(
            lower(users::email.nullable().assume_not_null())
                .like(contains_pattern(e))
                .escape('\\'),
        );
    }
    if let Some(m) = f.max_id {
        q = q.filter(accounts::id.lt(m));
    }
    if let Some(s) = f.since_id {
        q = q.filter(accounts::id.gt(s));
    }
    Ok(q.order(accounts::id.desc())
        .limit(f.limit.clamp(1, 200))
        .select((
            Account::as_select(),
            Option::<User>::as_select(),
            Option::<AccountModeration>::as_select(),
        ))
        .load(conn)?)
}
