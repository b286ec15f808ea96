//! Followed hashtags (`followed_tags`): who follows which tag, for the followed-tags list and
//! for the fan-in of public posts carrying a followed tag. Names arrive normalized
//! (`kith_core::tags::normalize`); this module compares them as stored.

use crate::pool::DbConn;
use crate::schema::{accounts, followed_tags};
use crate::statuses::Page;
use crate::StorageError;
use diesel::prelude::*;

/// Follows tag `name` for `account_id` (nothing if it is followed already).
pub fn follow(conn: &mut DbConn, account_id: i64, name: &str) -> Result<(), StorageError> {
    let insert = diesel::insert_into(followed_tags::table)
        .values((
            followed_tags::id.eq(crate::id::new_id()),
            followed_tags::account_id.eq(account_id),
            followed_tags::name.eq(name),
            followed_tags::created_at.eq(crate::now()),
        ))
        .on_conflict_do_nothing();
    match conn {
        DbConn::Postgresql(pg) => insert.execute(pg)?,
        DbConn::Sqlite(lite) => insert.execute(lite)?,
    };
    Ok(())
}

/// Stops following tag `name` for `account_id`.
pub fn unfollow(conn: &mut DbConn, account_id: i64, name: &str) -> Result<(), StorageError> {
    diesel::delete(
        followed_tags::table
            .filter(followed_tags::account_id.eq(account_id))
            .filter(followed_tags::name.eq(name)),
    )
    .execute(conn)?;
    Ok(())
}

/// Which of `names` `account_id` follows.
pub fn followed_among(
    conn: &mut DbConn,
    account_id: i64,
    names: &[String],
) -> Result<Vec<String>, StorageError> {
    Ok(followed_tags::table
        .filter(followed_tags::account_id.eq(account_id))
        .filter(followed_tags::name.eq_any(names))
        .select(followed_tags::name)
        .load(conn)?)
}

/// The tags `account_id` follows, as (follow id, name), newest follow first, paged by the
/// follow's id (as Mastodon pages `followed_tags`).
pub fn followed(
    conn: &mut DbConn,
    account_id: i64,
    page: Page,
) -> Result<Vec<(i64, String)>, StorageError> {
    let mut q = followed_tags::table
        .filter(followed_tags::account_id.eq(account_id))
        .select((followed_tags::id, followed_tags::name))
        .into_boxed();
    if let Some(max) = page.max_id {
        q = q.filter(followed_tags::id.lt(max));
    }
    if let Some(since) = page.since_id {
        q = q.filter(followed_tags::id.gt(since));
    }
    let limit = page.limit.clamp(1, 200);
    let mut rows: Vec<(i64, String)> = match page.min_id {
        Some(min) => q
            .filter(followed_tags::id.gt(min))
            .order(followed_tags::id.asc())
            .limit(limit)
            .load(conn)?,
        None => q.order(followed_tags::id.desc()).limit(limit).load(conn)?,
    };
    if page.min_id.is_some() {
        rows.reverse();
    }
    Ok(rows)
}

/// The local accounts that follow any of `names`, each once.
pub fn local_followers_of(conn: &mut DbConn, names: &[String]) -> Result<Vec<i64>, StorageError> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let local = accounts::table
        .filter(accounts::domain.is_null())
        .select(accounts::id);
    let mut ids: Vec<i64> = followed_tags::table
        .filter(followed_tags::name.eq_any(names))
        .filter(followed_tags::account_id.eq_any(local))
        .select(followed_tags::account_id)
        .load(conn)?;
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// Most posts read for the usage history of the tags asked for at once: beyond it the counts
/// stop growing.
pub const MAX_HISTORY_POSTS: i64 = 10_000;

/// When, and by whom, public posts (not boosts) carrying one of `names` were made since
/// `since`, as (tag, time, author), newest first, at most `MAX_HISTORY_POSTS`: one query, for
/// the tags' day-by-day history.
pub fn uses_since(
    conn: &mut DbConn,
    names: &[String],
    since: chrono::NaiveDateTime,
) -> Result<Vec<(String, chrono::NaiveDateTime, i64)>, StorageError> {
    use crate::schema::{status_tags, statuses};
    Ok(status_tags::table
        .inner_join(statuses::table.on(statuses::id.eq(status_tags::status_id)))
        .filter(status_tags::name.eq_any(names))
        .filter(statuses::created_at.ge(since))
        .filter(statuses::visibility.eq("public"))
        .filter(statuses::reblog_of_id.is_null())
        .order(statuses::created_at.desc())
        .limit(MAX_HISTORY_POSTS)
        .select((
            status_tags::name,
            statuses::created_at,
            statuses::account_id,
        ))
        .load(conn)?)
}
