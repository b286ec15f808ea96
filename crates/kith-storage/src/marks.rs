//! What accounts keep of statuses for themselves: bookmarks (private) and pins (shown on the
//! profile). Lists of them are cut by the mark's own id and then filtered by the visibility
//! rule (`statuses::visible_marked`).

use crate::pool::DbConn;
use crate::schema::{bookmarks, status_pins};
use crate::statuses::{marks_page, visible_marked, Page, Status};
use crate::StorageError;
use diesel::prelude::*;

/// The most posts an account may pin, as in Mastodon.
pub const PIN_LIMIT: i64 = 5;

/// Bookmarks `status_id` for `account_id` (nothing if it is bookmarked already).
pub fn bookmark(conn: &mut DbConn, account_id: i64, status_id: i64) -> Result<(), StorageError> {
    let insert = diesel::insert_into(bookmarks::table)
        .values((
            bookmarks::id.eq(crate::id::new_id()),
            bookmarks::account_id.eq(account_id),
            bookmarks::status_id.eq(status_id),
            bookmarks::created_at.eq(crate::now()),
        ))
        .on_conflict_do_nothing();
    match conn {
        DbConn::Postgresql(pg) => insert.execute(pg)?,
        DbConn::Sqlite(lite) => insert.execute(lite)?,
    };
    Ok(())
}

/// Removes a bookmark, if there is one.
pub fn unbookmark(conn: &mut DbConn, account_id: i64, status_id: i64) -> Result<(), StorageError> {
    diesel::delete(
        bookmarks::table
            .filter(bookmarks::account_id.eq(account_id))
            .filter(bookmarks::status_id.eq(status_id)),
    )
    .execute(conn)?;
    Ok(())
}

/// `account_id`'s bookmarked statuses it may still see, as (bookmark id, status), newest
/// bookmark first.
pub fn bookmarked(
    conn: &mut DbConn,
    account_id: i64,
    page: Page,
) -> Result<Vec<(i64, Status)>, StorageError> {
    let pairs = marks_page!(conn, bookmarks, account_id, account_id, page);
    visible_marked(conn, &pairs, Some(account_id))
}

/// Which of these statuses `account_id` bookmarked.
pub fn bookmarked_among(
    conn: &mut DbConn,
    account_id: i64,
    status_ids: &[i64],
) -> Result<Vec<i64>, StorageError> {
    Ok(bookmarks::table
        .filter(bookmarks::account_id.eq(account_id))
        .filter(bookmarks::status_id.eq_any(status_ids))
        .select(bookmarks::status_id)
        .load(conn)?)
}

/// Why a pin was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinRefusal {
    /// The account has pinned `PIN_LIMIT` posts already.
    Limit,
}

/// Pins `status_id` to `account_id`'s profile (the caller checked that it may be pinned);
/// nothing if it is pinned already, refused beyond `PIN_LIMIT`.
pub fn pin(
    conn: &mut DbConn,
    account_id: i64,
    status_id: i64,
) -> Result<Result<(), PinRefusal>, StorageError> {
    let pinned: Vec<i64> = status_pins::table
        .filter(status_pins::account_id.eq(account_id))
        .select(status_pins::status_id)
        .load(conn)?;
    if pinned.contains(&status_id) {
        return Ok(Ok(()));
    }
    if pinned.len() as i64 >= PIN_LIMIT {
        return Ok(Err(PinRefusal::Limit));
    }
    diesel::insert_into(status_pins::table)
        .values((
            status_pins::id.eq(crate::id::new_id()),
            status_pins::account_id.eq(account_id),
            status_pins::status_id.eq(status_id),
            status_pins::created_at.eq(crate::now()),
        ))
        .execute(conn)?;
    Ok(Ok(()))
}

/// Unpins a status, if it is pinned.
pub fn unpin(conn: &mut DbConn, account_id: i64, status_id: i64) -> Result<(), StorageError> {
    diesel::delete(
        status_pins::table
            .filter(status_pins::account_id.eq(account_id))
            .filter(status_pins::status_id.eq(status_id)),
    )
    .execute(conn)?;
    Ok(())
}

/// `account_id`'s pinned posts that `viewer` may see, most recently pinned first.
pub fn pinned(
    conn: &mut DbConn,
    account_id: i64,
    viewer: Option<i64>,
) -> Result<Vec<Status>, StorageError> {
    let page = Page {
        limit: PIN_LIMIT,
        ..Page::default()
    };
    let pairs = marks_page!(conn, status_pins, account_id, account_id, page);
    Ok(visible_marked(conn, &pairs, viewer)?
        .into_iter()
        .map(|(_, s)| s)
        .collect())
}

/// Which of these statuses are pinned (by their authors).
pub fn pinned_among(conn: &mut DbConn, status_ids: &[i64]) -> Result<Vec<i64>, StorageError> {
    Ok(status_pins::table
        .filter(status_pins::status_id.eq_any(status_ids))
        .select(status_pins::status_id)
        .load(conn)?)
}
