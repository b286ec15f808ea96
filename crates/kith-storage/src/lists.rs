//! Lists: a person's named sets of accounts they follow, and their members. A member row
//! hangs on the owner's follow of the member (`follow_id`, `ON DELETE CASCADE`), so whatever
//! ends the follow takes the member out of the owner's lists. The list timeline itself is a
//! statuses query (`statuses::list_timeline`), under the one visibility rule.

use crate::accounts::Account;
use crate::pool::DbConn;
use crate::schema::{accounts, list_accounts, lists};
use crate::statuses::Page;
use crate::StorageError;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// One list row.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = lists)]
pub struct List {
    pub id: i64,
    pub account_id: i64,
    pub title: String,
    /// `followed`, `list` or `none` (Mastodon's words).
    pub replies_policy: String,
    /// Whether the members' posts stay out of the owner's home timeline.
    pub exclusive: bool,
    pub created_at: NaiveDateTime,
}

/// Stores a new list.
pub fn insert(conn: &mut DbConn, list: &List) -> Result<(), StorageError> {
    diesel::insert_into(lists::table)
        .values(list)
        .execute(conn)?;
    Ok(())
}

/// How many lists `owner` has.
pub fn count_of(conn: &mut DbConn, owner: i64) -> Result<i64, StorageError> {
    Ok(lists::table
        .filter(lists::account_id.eq(owner))
        .count()
        .get_result(conn)?)
}

/// `owner`'s lists, oldest first.
pub fn of_owner(conn: &mut DbConn, owner: i64) -> Result<Vec<List>, StorageError> {
    Ok(lists::table
        .filter(lists::account_id.eq(owner))
        .order(lists::id.asc())
        .select(List::as_select())
        .load(conn)?)
}

/// The list `id` if `owner` owns it (someone else's list is as good as none).
pub fn owned(conn: &mut DbConn, id: i64, owner: i64) -> Result<Option<List>, StorageError> {
    Ok(lists::table
        .filter(lists::id.eq(id))
        .filter(lists::account_id.eq(owner))
        .select(List::as_select())
        .first(conn)
        .optional()?)
}

/// Replaces a list's title, replies policy and exclusivity.
pub fn update(conn: &mut DbConn, list: &List) -> Result<(), StorageError> {
    diesel::update(lists::table.find(list.id))
        .set((
            lists::title.eq(&list.title),
            lists::replies_policy.eq(&list.replies_policy),
            lists::exclusive.eq(list.exclusive),
        ))
        .execute(conn)?;
    Ok(())
}

/// Deletes a list (its members go with it).
pub fn delete(conn: &mut DbConn, id: i64) -> Result<(), StorageError> {
    diesel::delete(lists::table.find(id)).execute(conn)?;
    Ok(())
}

/// Adds `account_id` to a list through the owner's follow `follow_id`; nothing if it is a
/// member already.
pub fn add_member(
    conn: &mut DbConn,
    list_id: i64,
    account_id: i64,
    follow_id: i64,
) -> Result<(), StorageError> {
    let insert = diesel::insert_into(list_accounts::table)
        .values((
            list_accounts::id.eq(crate::id::new_id()),
            list_accounts::list_id.eq(list_id),
            list_accounts::account_id.eq(account_id),
            list_accounts::follow_id.eq(follow_id),
        ))
        .on_conflict_do_nothing();
    match conn {
        DbConn::Postgresql(pg) => insert.execute(pg)?,
        DbConn::Sqlite(lite) => insert.execute(lite)?,
    };
    Ok(())
}

/// Takes these accounts out of a list.
pub fn remove_members(
    conn: &mut DbConn,
    list_id: i64,
    account_ids: &[i64],
) -> Result<(), StorageError> {
    diesel::delete(
        list_accounts::table
            .filter(list_accounts::list_id.eq(list_id))
            .filter(list_accounts::account_id.eq_any(account_ids)),
    )
    .execute(conn)?;
    Ok(())
}

/// How many members a list has.
pub fn count_members(conn: &mut DbConn, list_id: i64) -> Result<i64, StorageError> {
    Ok(list_accounts::table
        .filter(list_accounts::list_id.eq(list_id))
        .count()
        .get_result(conn)?)
}

/// Which of these accounts are in a list already.
pub fn members_among(
    conn: &mut DbConn,
    list_id: i64,
    account_ids: &[i64],
) -> Result<Vec<i64>, StorageError> {
    Ok(list_accounts::table
        .filter(list_accounts::list_id.eq(list_id))
        .filter(list_accounts::account_id.eq_any(account_ids))
        .select(list_accounts::account_id)
        .load(conn)?)
}

/// A page of a list's members as (member row id, account), newest first, paged by the
/// member row's id; `page.limit` 0 means all of them (as Mastodon's `limit=0`).
pub fn members(
    conn: &mut DbConn,
    list_id: i64,
    page: Page,
) -> Result<Vec<(i64, Account)>, StorageError> {
    let mut q = list_accounts::table
        .inner_join(accounts::table)
        .filter(list_accounts::list_id.eq(list_id))
        .select((list_accounts::id, Account::as_select()))
        .into_boxed();
    if let Some(max) = page.max_id {
        q = q.filter(list_accounts::id.lt(max));
    }
    if let Some(since) = page.since_id {
        q = q.filter(list_accounts::id.gt(since));
    }
    let mut rows: Vec<(i64, Account)> = match page.min_id {
        Some(min) => {
            let q = q
                .filter(list_accounts::id.gt(min))
                .order(list_accounts::id.asc());
            if page.limit > 0 {
                q.limit(page.limit).load(conn)?
            } else {
                q.load(conn)?
            }
        }
        None => {
            let q = q.order(list_accounts::id.desc());
            if page.limit > 0 {
                q.limit(page.limit).load(conn)?
            } else {
                q.load(conn)?
            }
        }
    };
    if page.min_id.is_some() {
        rows.reverse();
    }
    Ok(rows)
}

/// Which of `owner`'s lists hold `account_id`, oldest first.
pub fn containing(
    conn: &mut DbConn,
    owner: i64,
    account_id: i64,
) -> Result<Vec<List>, StorageError> {
    let holding = list_accounts::table
        .filter(list_accounts::account_id.eq(account_id))
        .select(list_accounts::list_id);
    Ok(lists::table
        .filter(lists::account_id.eq(owner))
        .filter(lists::id.eq_any(holding))
        .order(lists::id.asc())
        .select(List::as_select())
        .load(conn)?)
}

/// Of `viewers`, those who have `author` in an exclusive list (their home timeline leaves
/// `author`'s posts out).
pub fn excluding_from_home(
    conn: &mut DbConn,
    author: i64,
    viewers: &[i64],
) -> Result<Vec<i64>, StorageError> {
    Ok(list_accounts::table
        .inner_join(lists::table)
        .filter(list_accounts::account_id.eq(author))
        .filter(lists::exclusive.eq(true))
        .filter(lists::account_id.eq_any(viewers))
        .select(lists::account_id)
        .distinct()
        .load(conn)?)
}
