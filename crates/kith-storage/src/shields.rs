//! Rows behind the shields (the notification gate's policy, in `kith_core::notifications`):
//! a person's notification policy, the notification requests that group held notifications by
//! sender, the senders a person let through, the dogpile shield's counters, and when each
//! remote domain was first seen. Plain queries; the rules are in `kith_core`.

use crate::pool::DbConn;
use crate::schema::{
    dogpile_hits, domain_first_seen, notification_permissions, notification_policies,
    notification_requests, notifications,
};
use crate::{OptionalExt, StorageError};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// A person's notification policy as stored: `None` everywhere means "the instance default".
#[derive(Debug, Clone, Default, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = notification_policies)]
#[diesel(treat_none_as_null = true)]
pub struct PolicyRow {
    pub account_id: i64,
    pub for_not_following: Option<String>,
    pub for_not_followers: Option<String>,
    pub for_new_accounts: Option<String>,
    pub for_private_mentions: Option<String>,
    pub for_limited_accounts: Option<String>,
    pub new_account_days: Option<i32>,
    pub new_domain_days: Option<i32>,
    pub signal_many_digits: Option<bool>,
    pub signal_few_followers: Option<bool>,
    pub signal_no_avatar_bio: Option<bool>,
    pub dogpile_threshold: Option<i32>,
    pub dogpile_minutes: Option<i32>,
    pub message_requests: Option<bool>,
    pub updated_at: NaiveDateTime,
}

/// `account_id`'s stored policy, if it ever changed one.
pub fn policy(conn: &mut DbConn, account_id: i64) -> Result<Option<PolicyRow>, StorageError> {
    notification_policies::table
        .find(account_id)
        .select(PolicyRow::as_select())
        .first(conn)
        .map_err(StorageError::from)
        .optional()
}

/// Stores `row` as its account's policy, replacing any earlier one.
pub fn set_policy(conn: &mut DbConn, row: &PolicyRow) -> Result<(), StorageError> {
    let n = diesel::update(notification_policies::table.find(row.account_id))
        .set(row)
        .execute(conn)?;
    if n == 0 {
        diesel::insert_into(notification_policies::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(())
}

/// A notification request: the held notifications from one sender to one person.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = notification_requests)]
pub struct Request {
    pub id: i64,
    pub account_id: i64,
    pub from_account_id: i64,
    pub last_status_id: Option<i64>,
    pub notifications_count: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Counts one more held notification from `from` to `account_id` in their request (made if
/// there is none), with `status` as its latest status if given. One statement, so concurrent
/// holds from one sender make one request.
pub fn hold(
    conn: &mut DbConn,
    account_id: i64,
    from: i64,
    status: Option<i64>,
) -> Result<(), StorageError> {
    use notification_requests as r;
    let now = crate::now();
    let values = (
        r::id.eq(crate::id::new_id()),
        r::account_id.eq(account_id),
        r::from_account_id.eq(from),
        r::last_status_id.eq(status),
        r::notifications_count.eq(1_i64),
        r::created_at.eq(now),
        r::updated_at.eq(now),
    );
    macro_rules! upsert {
        ($c:expr) => {
            match status {
                Some(s) => diesel::insert_into(r::table)
                    .values(values)
                    .on_conflict((r::account_id, r::from_account_id))
                    .do_update()
                    .set((
                        r::notifications_count.eq(r::notifications_count + 1),
                        r::updated_at.eq(now),
                        r::last_status_id.eq(Some(s)),
                    ))
                    .execute($c)?,
                None => diesel::insert_into(r::table)
                    .values(values)
                    .on_conflict((r::account_id, r::from_account_id))
                    .do_update()
                    .set((
                        r::notifications_count.eq(r::notifications_count + 1),
                        r::updated_at.eq(now),
                    ))
                    .execute($c)?,
            }
        };
    }
    match conn {
        DbConn::Postgresql(pg) => upsert!(pg),
        DbConn::Sqlite(lite) => upsert!(lite),
    };
    Ok(())
}

/// `account_id`'s requests, newest first, paged by request id as Mastodon pages them
/// (`max_id`/`since_id`/`min_id`). Requests from accounts that no longer exist go
/// with them (cascade).
pub fn requests(
    conn: &mut DbConn,
    account_id: i64,
    page: crate::statuses::Page,
) -> Result<Vec<Request>, StorageError> {
    let mut q = notification_requests::table
        .filter(notification_requests::account_id.eq(account_id))
        .into_boxed();
    if let Some(m) = page.max_id {
        q = q.filter(notification_requests::id.lt(m));
    }
    if let Some(s) = page.since_id {
        q = q.filter(notification_requests::id.gt(s));
    }
    let limit = page.limit.clamp(1, 80);
    let mut rows: Vec<Request> = match page.min_id {
        Some(min) => q
            .filter(notification_requests::id.gt(min))
            .order(notification_requests::id.asc())
            .limit(limit)
            .select(Request::as_select())
            .load(conn)?,
        None => q
            .order(notification_requests::id.desc())
            .limit(limit)
            .select(Request::as_select())
            .load(conn)?,
    };
    if page.min_id.is_some() {
        rows.reverse();
    }
    Ok(rows)
}

/// One of `account_id`'s requests.
pub fn request(conn: &mut DbConn, account_id: i64, id: i64) -> Result<Request, StorageError> {
    Ok(notification_requests::table
        .filter(notification_requests::account_id.eq(account_id))
        .filter(notification_requests::id.eq(id))
        .select(Request::as_select())
        .first(conn)?)
}

/// Deletes a request; the caller decides what becomes of its notifications.
pub fn delete_request(conn: &mut DbConn, id: i64) -> Result<(), StorageError> {
    diesel::delete(notification_requests::table.find(id)).execute(conn)?;
    Ok(())
}

/// How many requests `account_id` has (counting no further than `cap`), and how many held
/// notifications they hold together.
pub fn pending_counts(
    conn: &mut DbConn,
    account_id: i64,
    cap: i64,
) -> Result<(i64, i64), StorageError> {
    let counts: Vec<i64> = notification_requests::table
        .filter(notification_requests::account_id.eq(account_id))
        .select(notification_requests::notifications_count)
        .limit(cap)
        .load(conn)?;
    Ok((counts.len() as i64, counts.iter().sum()))
}

/// Releases `account_id`'s held notifications from `from`: they join the notification list.
/// Returns their ids, oldest first.
pub fn release_held(
    conn: &mut DbConn,
    account_id: i64,
    from: i64,
) -> Result<Vec<(i64, Option<i64>)>, StorageError> {
    let held: Vec<(i64, Option<i64>)> = notifications::table
        .filter(notifications::account_id.eq(account_id))
        .filter(notifications::from_account_id.eq(from))
        .filter(notifications::filtered.eq(true))
        .order(notifications::id.asc())
        .select((notifications::id, notifications::status_id))
        .load(conn)?;
    let ids: Vec<i64> = held.iter().map(|(id, _)| *id).collect();
    diesel::update(notifications::table.filter(notifications::id.eq_any(&ids)))
        .set(notifications::filtered.eq(false))
        .execute(conn)?;
    Ok(held)
}

/// Deletes `account_id`'s held notifications from `from` (a dismissed request). Returns the
/// statuses they were about.
pub fn discard_held(
    conn: &mut DbConn,
    account_id: i64,
    from: i64,
) -> Result<Vec<i64>, StorageError> {
    let held = notifications::table
        .filter(notifications::account_id.eq(account_id))
        .filter(notifications::from_account_id.eq(from))
        .filter(notifications::filtered.eq(true));
    let statuses: Vec<Option<i64>> = held.select(notifications::status_id).load(conn)?;
    diesel::delete(held).execute(conn)?;
    Ok(statuses.into_iter().flatten().collect())
}

/// Whether `status_id` is held from `account_id` by a notification request (a message request
/// not yet accepted): its held notification is still there.
pub fn holds_status(
    conn: &mut DbConn,
    account_id: i64,
    status_id: i64,
) -> Result<bool, StorageError> {
    Ok(notifications::table
        .filter(notifications::account_id.eq(account_id))
        .filter(notifications::status_id.eq(status_id))
        .filter(notifications::filtered.eq(true))
        .count()
        .get_result::<i64>(conn)?
        > 0)
}

/// Lets every later notification from `from` through to `account_id`.
pub fn permit(conn: &mut DbConn, account_id: i64, from: i64) -> Result<(), StorageError> {
    let insert = diesel::insert_into(notification_permissions::table)
        .values((
            notification_permissions::account_id.eq(account_id),
            notification_permissions::from_account_id.eq(from),
            notification_permissions::created_at.eq(crate::now()),
        ))
        .on_conflict_do_nothing();
    match conn {
        DbConn::Postgresql(pg) => insert.execute(pg)?,
        DbConn::Sqlite(lite) => insert.execute(lite)?,
    };
    Ok(())
}

/// Whether `account_id` let `from` through (accepted a request from them).
pub fn permitted(conn: &mut DbConn, account_id: i64, from: i64) -> Result<bool, StorageError> {
    Ok(notification_permissions::table
        .find((account_id, from))
        .count()
        .get_result::<i64>(conn)?
        > 0)
}

/// Mixed into a recipient's id for their dogpile counter's advisory lock (PostgreSQL), apart
/// from other advisory locks' keys.
const DOGPILE_LOCK: i64 = 0x646f_6770_696c_6500;

/// Records that `from` mentioned or replied to `account_id` at `at` (the dogpile shield's
/// counter), forgets hits before `window_start`, and returns how many distinct accounts hit
/// since then, this one included.
pub fn dogpile_hit(
    conn: &mut DbConn,
    account_id: i64,
    from: i64,
    at: NaiveDateTime,
    window_start: NaiveDateTime,
) -> Result<i64, StorageError> {
    // Concurrent inbox deliveries to one person count one at a time, so that the threshold is
    // exact: on PostgreSQL a lock per recipient until the transaction ends (SQLite has one
    // writer already).
    if let DbConn::Postgresql(pg) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
            .bind::<diesel::sql_types::BigInt, _>(DOGPILE_LOCK ^ account_id)
            .execute(pg)?;
    }
    diesel::delete(
        dogpile_hits::table
            .filter(dogpile_hits::account_id.eq(account_id))
            .filter(dogpile_hits::at.lt(window_start)),
    )
    .execute(conn)?;
    let insert = diesel::insert_into(dogpile_hits::table)
        .values((
            dogpile_hits::account_id.eq(account_id),
            dogpile_hits::from_account_id.eq(from),
            dogpile_hits::at.eq(at),
        ))
        .on_conflict((dogpile_hits::account_id, dogpile_hits::from_account_id))
        .do_update()
        .set(dogpile_hits::at.eq(at));
    match conn {
        DbConn::Postgresql(pg) => insert.execute(pg)?,
        DbConn::Sqlite(lite) => insert.execute(lite)?,
    };
    Ok(dogpile_hits::table
        .filter(dogpile_hits::account_id.eq(account_id))
        .count()
        .get_result(conn)?)
}

/// Notes that `domain` was seen now, unless it was seen before.
pub fn note_domain(conn: &mut DbConn, domain: &str) -> Result<(), StorageError> {
    let insert = diesel::insert_into(domain_first_seen::table)
        .values((
            domain_first_seen::domain.eq(domain.to_lowercase()),
            domain_first_seen::first_seen_at.eq(crate::now()),
        ))
        .on_conflict_do_nothing();
    match conn {
        DbConn::Postgresql(pg) => insert.execute(pg)?,
        DbConn::Sqlite(lite) => insert.execute(lite)?,
    };
    Ok(())
}

/// When `domain` was first seen here, if it was.
pub fn domain_first_seen(
    conn: &mut DbConn,
    domain: &str,
) -> Result<Option<NaiveDateTime>, StorageError> {
    domain_first_seen::table
        .find(domain.to_lowercase())
        .select(domain_first_seen::first_seen_at)
        .first(conn)
        .map_err(StorageError::from)
        .optional()
}

/// Sets when `domain` was first seen (for moderators correcting it, and for tests).
pub fn set_domain_first_seen(
    conn: &mut DbConn,
    domain: &str,
    at: NaiveDateTime,
) -> Result<(), StorageError> {
    note_domain(conn, domain)?;
    diesel::update(domain_first_seen::table.find(domain.to_lowercase()))
        .set(domain_first_seen::first_seen_at.eq(at))
        .execute(conn)?;
    Ok(())
}
