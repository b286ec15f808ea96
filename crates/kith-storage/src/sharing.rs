//! Rows and queries for moderation shared across instances: blocklist subscriptions, the
//! entries shared sources give (`shared_decisions`, with their provenance and state), the
//! members of this instance's moderation cohort, the decisions it published to them, and the
//! reports they shared. The rules are in `kith_core::shared_moderation`.

use crate::pool::DbConn;
use crate::schema::{
    blocklist_subscriptions, cohort_members, cohort_published, cohort_reports, domain_policies,
    shared_decisions,
};
use crate::StorageError;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// A subscription to another instance's blocklist (its public domain-block list, or a CSV).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = blocklist_subscriptions)]
pub struct Subscription {
    pub id: i64,
    pub url: String,
    /// `apply` or `review`.
    pub mode: String,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
    pub next_fetch_at: NaiveDateTime,
    pub last_fetched_at: Option<NaiveDateTime>,
    pub last_success_at: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub last_note: Option<String>,
}

/// One entry a shared source gives, with where it came from and what became of it here.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = shared_decisions)]
#[diesel(treat_none_as_null = true)]
pub struct SharedDecision {
    pub id: i64,
    /// `subscription` or `cohort`.
    pub source_kind: String,
    /// The subscription's or the cohort member's id.
    pub source_id: i64,
    /// The cohort activity that carried it.
    pub source_ref: Option<String>,
    /// `domain` or `account`.
    pub target_kind: String,
    /// The domain, or the account's actor id.
    pub target: String,
    pub severity: String,
    pub reject_media: bool,
    pub reject_reports: bool,
    pub comment: Option<String>,
    /// `applied`, `pending`, `rejected`, `covered`, `ignored` or `confirmed`.
    pub state: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Another instance in this instance's moderation cohort, by its instance actor.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = cohort_members)]
pub struct CohortMember {
    pub id: i64,
    pub actor_id: String,
    pub domain: String,
    /// `invited` (by this instance), `invitation` (to this instance) or `member`.
    pub state: String,
    /// `apply`, `review` or `ignore`: what this instance does with the member's decisions.
    pub policy: String,
    pub invite_id: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

// ----- subscriptions -----

/// Every subscription, oldest first.
pub fn subscriptions(conn: &mut DbConn) -> Result<Vec<Subscription>, StorageError> {
    Ok(blocklist_subscriptions::table
        .order(blocklist_subscriptions::id.asc())
        .select(Subscription::as_select())
        .load(conn)?)
}

/// The subscription with this id.
pub fn subscription(conn: &mut DbConn, id: i64) -> Result<Subscription, StorageError> {
    Ok(blocklist_subscriptions::table
        .find(id)
        .select(Subscription::as_select())
        .first(conn)?)
}

/// The subscription to this URL.
pub fn subscription_by_url(conn: &mut DbConn, url: &str) -> Result<Subscription, StorageError> {
    Ok(blocklist_subscriptions::table
        .filter(blocklist_subscriptions::url.eq(url))
        .select(Subscription::as_select())
        .first(conn)?)
}

/// Inserts a subscription.
pub fn insert_subscription(conn: &mut DbConn, s: &Subscription) -> Result<(), StorageError> {
    diesel::insert_into(blocklist_subscriptions::table)
        .values(s)
        .execute(conn)?;
    Ok(())
}

/// Deletes a subscription; returns whether there was one.
pub fn delete_subscription(conn: &mut DbConn, id: i64) -> Result<bool, StorageError> {
    Ok(diesel::delete(blocklist_subscriptions::table.find(id)).execute(conn)? > 0)
}

/// Sets a subscription's mode.
pub fn set_subscription_mode(conn: &mut DbConn, id: i64, mode: &str) -> Result<(), StorageError> {
    diesel::update(blocklist_subscriptions::table.find(id))
        .set(blocklist_subscriptions::mode.eq(mode))
        .execute(conn)?;
    Ok(())
}

/// Claims the subscription `id` for a refresh if it is due (`next_fetch_at` ≤ `now`), moving
/// its next fetch to `next`; false if it is not due or another process claimed it first. One
/// conditional `UPDATE`, so two processes sharing the database never both claim it.
pub fn claim_subscription(
    conn: &mut DbConn,
    id: i64,
    now: NaiveDateTime,
    next: NaiveDateTime,
) -> Result<bool, StorageError> {
    let n = diesel::update(
        blocklist_subscriptions::table
            .find(id)
            .filter(blocklist_subscriptions::next_fetch_at.le(now)),
    )
    .set(blocklist_subscriptions::next_fetch_at.eq(next))
    .execute(conn)?;
    Ok(n == 1)
}

/// Ids of the subscriptions due for a refresh at `now`.
pub fn due_subscriptions(conn: &mut DbConn, now: NaiveDateTime) -> Result<Vec<i64>, StorageError> {
    Ok(blocklist_subscriptions::table
        .filter(blocklist_subscriptions::next_fetch_at.le(now))
        .select(blocklist_subscriptions::id)
        .load(conn)?)
}

/// Records the outcome of a fetch: `error` (the entries are kept), or success with `note`.
pub fn record_fetch(
    conn: &mut DbConn,
    id: i64,
    now: NaiveDateTime,
    error: Option<&str>,
    note: Option<&str>,
) -> Result<(), StorageError> {
    let target = blocklist_subscriptions::table.find(id);
    match error {
        Some(e) => diesel::update(target)
            .set((
                blocklist_subscriptions::last_fetched_at.eq(Some(now)),
                blocklist_subscriptions::last_error.eq(Some(e)),
            ))
            .execute(conn)?,
        None => diesel::update(target)
            .set((
                blocklist_subscriptions::last_fetched_at.eq(Some(now)),
                blocklist_subscriptions::last_success_at.eq(Some(now)),
                blocklist_subscriptions::last_error.eq(None::<String>),
                blocklist_subscriptions::last_note.eq(note),
            ))
            .execute(conn)?,
    };
    Ok(())
}

// ----- shared decisions -----

/// Every shared entry, newest first, optionally only those in `state` or about `target`.
pub fn decisions(
    conn: &mut DbConn,
    state: Option<&str>,
    target: Option<&str>,
) -> Result<Vec<SharedDecision>, StorageError> {
    let mut q = shared_decisions::table
        .order(shared_decisions::id.desc())
        .select(SharedDecision::as_select())
        .into_boxed();
    if let Some(s) = state {
        q = q.filter(shared_decisions::state.eq(s.to_owned()));
    }
    if let Some(t) = target {
        q = q.filter(shared_decisions::target.eq(t.to_owned()));
    }
    Ok(q.load(conn)?)
}

/// The shared entry with this id.
pub fn decision(conn: &mut DbConn, id: i64) -> Result<SharedDecision, StorageError> {
    Ok(shared_decisions::table
        .find(id)
        .select(SharedDecision::as_select())
        .first(conn)?)
}

/// Every entry of one source.
pub fn decisions_of_source(
    conn: &mut DbConn,
    kind: &str,
    id: i64,
) -> Result<Vec<SharedDecision>, StorageError> {
    Ok(shared_decisions::table
        .filter(shared_decisions::source_kind.eq(kind))
        .filter(shared_decisions::source_id.eq(id))
        .select(SharedDecision::as_select())
        .load(conn)?)
}

/// Every source's entry about one target.
pub fn decisions_about(
    conn: &mut DbConn,
    target_kind: &str,
    target: &str,
) -> Result<Vec<SharedDecision>, StorageError> {
    Ok(shared_decisions::table
        .filter(shared_decisions::target_kind.eq(target_kind))
        .filter(shared_decisions::target.eq(target))
        .order(shared_decisions::id.asc())
        .select(SharedDecision::as_select())
        .load(conn)?)
}

/// Inserts a shared entry.
pub fn insert_decision(conn: &mut DbConn, d: &SharedDecision) -> Result<(), StorageError> {
    diesel::insert_into(shared_decisions::table)
        .values(d)
        .execute(conn)?;
    Ok(())
}

/// Replaces a shared entry's fields (by id).
pub fn update_decision(conn: &mut DbConn, d: &SharedDecision) -> Result<(), StorageError> {
    diesel::update(shared_decisions::table.find(d.id))
        .set(d)
        .execute(conn)?;
    Ok(())
}

/// Deletes a shared entry.
pub fn delete_decision(conn: &mut DbConn, id: i64) -> Result<(), StorageError> {
    diesel::delete(shared_decisions::table.find(id)).execute(conn)?;
    Ok(())
}

/// Whether the domain policy for exactly `domain` is managed by shared entries.
pub fn is_managed(conn: &mut DbConn, domain: &str) -> Result<bool, StorageError> {
    Ok(domain_policies::table
        .filter(domain_policies::domain.eq(domain))
        .select(domain_policies::managed)
        .first::<bool>(conn)
        .optional()?
        .unwrap_or(false))
}

/// Marks the policy for `domain` as managed by shared entries (or as a local decision).
pub fn set_managed(conn: &mut DbConn, domain: &str, managed: bool) -> Result<(), StorageError> {
    diesel::update(domain_policies::table.filter(domain_policies::domain.eq(domain)))
        .set(domain_policies::managed.eq(managed))
        .execute(conn)?;
    Ok(())
}

/// The domains of every managed policy.
pub fn managed_domains(conn: &mut DbConn) -> Result<Vec<String>, StorageError> {
    Ok(domain_policies::table
        .filter(domain_policies::managed.eq(true))
        .select(domain_policies::domain)
        .load(conn)?)
}

// ----- cohort -----

/// Every cohort row (members, invitations either way), oldest first.
pub fn members(conn: &mut DbConn) -> Result<Vec<CohortMember>, StorageError> {
    Ok(cohort_members::table
        .order(cohort_members::id.asc())
        .select(CohortMember::as_select())
        .load(conn)?)
}

/// The cohort row with this id.
pub fn member(conn: &mut DbConn, id: i64) -> Result<CohortMember, StorageError> {
    Ok(cohort_members::table
        .find(id)
        .select(CohortMember::as_select())
        .first(conn)?)
}

/// The cohort row of this instance actor.
pub fn member_by_actor(conn: &mut DbConn, actor_id: &str) -> Result<CohortMember, StorageError> {
    Ok(cohort_members::table
        .filter(cohort_members::actor_id.eq(actor_id))
        .select(CohortMember::as_select())
        .first(conn)?)
}

/// Inserts a cohort row, or replaces the one for the same actor.
pub fn upsert_member(conn: &mut DbConn, m: &CohortMember) -> Result<(), StorageError> {
    diesel::delete(cohort_members::table.filter(cohort_members::actor_id.eq(&m.actor_id)))
        .execute(conn)?;
    diesel::insert_into(cohort_members::table)
        .values(m)
        .execute(conn)?;
    Ok(())
}

/// Sets a cohort row's state.
pub fn set_member_state(conn: &mut DbConn, id: i64, state: &str) -> Result<(), StorageError> {
    diesel::update(cohort_members::table.find(id))
        .set((
            cohort_members::state.eq(state),
            cohort_members::updated_at.eq(crate::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Sets what this instance does with a member's decisions.
pub fn set_member_policy(conn: &mut DbConn, id: i64, policy: &str) -> Result<(), StorageError> {
    diesel::update(cohort_members::table.find(id))
        .set((
            cohort_members::policy.eq(policy),
            cohort_members::updated_at.eq(crate::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Deletes a cohort row.
pub fn delete_member(conn: &mut DbConn, id: i64) -> Result<(), StorageError> {
    diesel::delete(cohort_members::table.find(id)).execute(conn)?;
    Ok(())
}

/// The last decision published to the cohort about a target (its activity JSON).
pub fn published(
    conn: &mut DbConn,
    target_kind: &str,
    target: &str,
) -> Result<Option<String>, StorageError> {
    Ok(cohort_published::table
        .filter(cohort_published::target_kind.eq(target_kind))
        .filter(cohort_published::target.eq(target))
        .select(cohort_published::activity)
        .first(conn)
        .optional()?)
}

/// Remembers the decision published about a target (replacing an earlier one), or forgets it
/// (`activity` = `None`).
pub fn set_published(
    conn: &mut DbConn,
    target_kind: &str,
    target: &str,
    activity: Option<&str>,
) -> Result<(), StorageError> {
    diesel::delete(
        cohort_published::table
            .filter(cohort_published::target_kind.eq(target_kind))
            .filter(cohort_published::target.eq(target)),
    )
    .execute(conn)?;
    if let Some(a) = activity {
        diesel::insert_into(cohort_published::table)
            .values((
                cohort_published::id.eq(crate::id::new_id()),
                cohort_published::target_kind.eq(target_kind),
                cohort_published::target.eq(target),
                cohort_published::activity.eq(a),
                cohort_published::created_at.eq(crate::now()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Marks a report as shared by the cohort member `member_id`.
pub fn mark_cohort_report(
    conn: &mut DbConn,
    report_id: i64,
    member_id: i64,
) -> Result<(), StorageError> {
    diesel::insert_into(cohort_reports::table)
        .values((
            cohort_reports::report_id.eq(report_id),
            cohort_reports::member_id.eq(member_id),
        ))
        .execute(conn)?;
    Ok(())
}

/// Which of these reports were shared by a cohort member.
pub fn cohort_report_ids(conn: &mut DbConn, report_ids: &[i64]) -> Result<Vec<i64>, StorageError> {
    Ok(cohort_reports::table
        .filter(cohort_reports::report_id.eq_any(report_ids))
        .select(cohort_reports::report_id)
        .load(conn)?)
}
