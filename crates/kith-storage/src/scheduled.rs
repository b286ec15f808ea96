//! Scheduled statuses: a post's parameters kept until `scheduled_at`, with the uploads it will
//! carry (kept from the unattached-upload cleanup meanwhile). The publishing job claims a due
//! row with one conditional `UPDATE` (`claim`), so among several processes one publishes it.

use crate::pool::DbConn;
use crate::schema::{scheduled_status_media, scheduled_statuses};
use crate::StorageError;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// One scheduled status.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Identifiable, Insertable)]
#[diesel(table_name = scheduled_statuses)]
pub struct Scheduled {
    pub id: i64,
    pub account_id: i64,
    pub scheduled_at: NaiveDateTime,
    /// The request's parameters, as JSON (the API layer reads and writes it).
    pub params: String,
    /// Until when a process publishing it holds it.
    pub claimed_until: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

/// Stores a scheduled status with the uploads it will carry.
pub fn insert(conn: &mut DbConn, row: &Scheduled, media: &[i64]) -> Result<(), StorageError> {
    diesel::insert_into(scheduled_statuses::table)
        .values(row)
        .execute(conn)?;
    set_media(conn, row.id, media)
}

fn set_media(conn: &mut DbConn, id: i64, media: &[i64]) -> Result<(), StorageError> {
    diesel::delete(
        scheduled_status_media::table.filter(scheduled_status_media::scheduled_status_id.eq(id)),
    )
    .execute(conn)?;
    for m in media {
        diesel::insert_into(scheduled_status_media::table)
            .values((
                scheduled_status_media::scheduled_status_id.eq(id),
                scheduled_status_media::media_id.eq(m),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// `account_id`'s scheduled status with this id.
pub fn of_account(conn: &mut DbConn, account_id: i64, id: i64) -> Result<Scheduled, StorageError> {
    Ok(scheduled_statuses::table
        .find(id)
        .filter(scheduled_statuses::account_id.eq(account_id))
        .select(Scheduled::as_select())
        .first(conn)?)
}

/// The scheduled status with this id.
pub fn by_id(conn: &mut DbConn, id: i64) -> Result<Scheduled, StorageError> {
    Ok(scheduled_statuses::table
        .find(id)
        .select(Scheduled::as_select())
        .first(conn)?)
}

/// `account_id`'s scheduled statuses, newest id first, paged by id.
pub fn list(
    conn: &mut DbConn,
    account_id: i64,
    page: crate::statuses::Page,
) -> Result<Vec<Scheduled>, StorageError> {
    let mut q = scheduled_statuses::table
        .filter(scheduled_statuses::account_id.eq(account_id))
        .select(Scheduled::as_select())
        .limit(page.limit)
        .into_boxed();
    if let Some(max) = page.max_id {
        q = q.filter(scheduled_statuses::id.lt(max));
    }
    if let Some(since) = page.since_id {
        q = q.filter(scheduled_statuses::id.gt(since));
    }
    let mut rows = if let Some(min) = page.min_id {
        q.filter(scheduled_statuses::id.gt(min))
            .order(scheduled_statuses::id.asc())
            .load(conn)?
    } else {
        q.order(scheduled_statuses::id.desc()).load(conn)?
    };
    if page.min_id.is_some() {
        rows.reverse();
    }
    Ok(rows)
}

/// How many statuses `account_id` has scheduled, in all and on the day of `at` (UTC).
pub fn count_for(
    conn: &mut DbConn,
    account_id: i64,
    day_start: NaiveDateTime,
    day_end: NaiveDateTime,
) -> Result<(i64, i64), StorageError> {
    let total: i64 = scheduled_statuses::table
        .filter(scheduled_statuses::account_id.eq(account_id))
        .count()
        .get_result(conn)?;
    let day: i64 = scheduled_statuses::table
        .filter(scheduled_statuses::account_id.eq(account_id))
        .filter(scheduled_statuses::scheduled_at.ge(day_start))
        .filter(scheduled_statuses::scheduled_at.lt(day_end))
        .count()
        .get_result(conn)?;
    Ok((total, day))
}

/// The uploads a scheduled status will carry, in order.
pub fn media_of(conn: &mut DbConn, id: i64) -> Result<Vec<i64>, StorageError> {
    Ok(scheduled_status_media::table
        .filter(scheduled_status_media::scheduled_status_id.eq(id))
        .select(scheduled_status_media::media_id)
        .order(scheduled_status_media::media_id)
        .load(conn)?)
}

/// Moves a scheduled status to another time (unclaimed).
pub fn reschedule(conn: &mut DbConn, id: i64, at: NaiveDateTime) -> Result<(), StorageError> {
    diesel::update(scheduled_statuses::table.find(id))
        .set((
            scheduled_statuses::scheduled_at.eq(at),
            scheduled_statuses::claimed_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    Ok(())
}

/// Deletes a scheduled status; returns whether it existed.
pub fn delete(conn: &mut DbConn, id: i64) -> Result<bool, StorageError> {
    Ok(diesel::delete(scheduled_statuses::table.find(id)).execute(conn)? > 0)
}

/// Scheduled statuses due at `now` and not held by a process, at most `limit`.
pub fn due(conn: &mut DbConn, now: NaiveDateTime, limit: i64) -> Result<Vec<i64>, StorageError> {
    Ok(scheduled_statuses::table
        .filter(scheduled_statuses::scheduled_at.le(now))
        .filter(
            scheduled_statuses::claimed_until
                .is_null()
                .or(scheduled_statuses::claimed_until.lt(now)),
        )
        .order(scheduled_statuses::scheduled_at)
        .limit(limit)
        .select(scheduled_statuses::id)
        .load(conn)?)
}

/// Holds a due scheduled status until `until` if no process holds it; returns whether this
/// call took it.
pub fn claim(
    conn: &mut DbConn,
    id: i64,
    now: NaiveDateTime,
    until: NaiveDateTime,
) -> Result<bool, StorageError> {
    let n = diesel::update(
        scheduled_statuses::table
            .find(id)
            .filter(scheduled_statuses::scheduled_at.le(now))
            .filter(
                scheduled_statuses::claimed_until
                    .is_null()
                    .or(scheduled_statuses::claimed_until.lt(now)),
            ),
    )
    .set(scheduled_statuses::claimed_until.eq(until))
    .execute(conn)?;
    Ok(n > 0)
}
