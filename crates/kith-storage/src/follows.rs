//! Follows (accepted or pending) and blocks between accounts.

use crate::accounts::Account;
use crate::pool::DbConn;
use crate::schema::{accounts, blocks, follows};
use crate::StorageError;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// A follow; `accepted` is false while it is a request.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = follows)]
pub struct Follow {
    pub id: i64,
    pub account_id: i64,
    pub target_account_id: i64,
    pub ap_id: String,
    pub accepted: bool,
    pub created_at: NaiveDateTime,
}

/// Stores a follow or request; an existing one between the same pair is kept.
pub fn insert(conn: &mut DbConn, follow: &Follow) -> Result<Follow, StorageError> {
    if insert_if_new(conn, follow)? {
        return Ok(follow.clone());
    }
    between(conn, follow.account_id, follow.target_account_id)?.ok_or(StorageError::NotFound)
}

/// Stores a follow or request unless one between the same pair exists; returns whether it was
/// stored. One statement (`ON CONFLICT DO NOTHING`), so that concurrent follows of the same
/// pair store one row and none of them fails: on PostgreSQL the later ones wait for the first
/// to commit and then do nothing.
pub fn insert_if_new(conn: &mut DbConn, follow: &Follow) -> Result<bool, StorageError> {
    let insert = diesel::insert_into(follows::table)
        .values(follow)
        .on_conflict_do_nothing();
    let inserted = match conn {
        DbConn::Postgresql(pg) => insert.execute(pg)?,
        DbConn::Sqlite(lite) => insert.execute(lite)?,
    };
    Ok(inserted > 0)
}

/// The follow from `account_id` to `target`, accepted or not.
pub fn between(
    conn: &mut DbConn,
    account_id: i64,
    target: i64,
) -> Result<Option<Follow>, StorageError> {
    Ok(follows::table
        .filter(follows::account_id.eq(account_id))
        .filter(follows::target_account_id.eq(target))
        .select(Follow::as_select())
        .first(conn)
        .optional()?)
}

/// The follow whose Follow activity had this id.
pub fn by_ap_id(conn: &mut DbConn, ap_id: &str) -> Result<Option<Follow>, StorageError> {
    Ok(follows::table
        .filter(follows::ap_id.eq(ap_id))
        .select(Follow::as_select())
        .first(conn)
        .optional()?)
}

/// Marks a follow accepted.
pub fn accept(conn: &mut DbConn, id: i64) -> Result<(), StorageError> {
    diesel::update(follows::table.find(id))
        .set(follows::accepted.eq(true))
        .execute(conn)?;
    Ok(())
}

/// Removes the follow (or request) between a pair; returns it if there was one.
pub fn remove(
    conn: &mut DbConn,
    account_id: i64,
    target: i64,
) -> Result<Option<Follow>, StorageError> {
    let existing = between(conn, account_id, target)?;
    if let Some(f) = &existing {
        diesel::delete(follows::table.find(f.id)).execute(conn)?;
    }
    Ok(existing)
}

/// Which side of an account's follows to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Accounts that follow it.
    Followers,
    /// Accounts it follows.
    Following,
}

/// One side of an account's accepted follows, newest first, paged by follow id; each row is
/// (follow id, the account on the other end).
pub fn list(
    conn: &mut DbConn,
    side: Side,
    account_id: i64,
    max_id: Option<i64>,
    limit: i64,
) -> Result<Vec<(i64, Account)>, StorageError> {
    // The two sides join `accounts` on different columns, which diesel types apart; the rest
    // of the query is the same.
    macro_rules! page {
        ($joined:expr, $owner:expr) => {{
            let mut q = $joined
                .filter($owner.eq(account_id))
                .filter(follows::accepted.eq(true))
                .into_boxed();
            if let Some(max) = max_id {
                q = q.filter(follows::id.lt(max));
            }
            q.order(follows::id.desc())
                .limit(limit)
                .select((follows::id, Account::as_select()))
                .load(conn)?
        }};
    }
    Ok(match side {
        Side::Followers => page!(
            follows::table.inner_join(accounts::table.on(accounts::id.eq(follows::account_id))),
            follows::target_account_id
        ),
        Side::Following => page!(
            follows::table
                .inner_join(accounts::table.on(accounts::id.eq(follows::target_account_id))),
            follows::account_id
        ),
    })
}

/// Every follow or request, either way, between `account_id` and the accounts of `domain`;
/// each row is the follow and the account on the other end.
pub fn with_domain(
    conn: &mut DbConn,
    account_id: i64,
    domain: &str,
) -> Result<Vec<(Follow, Account)>, StorageError> {
    let mut out: Vec<(Follow, Account)> = follows::table
        .inner_join(accounts::table.on(accounts::id.eq(follows::target_account_id)))
        .filter(follows::account_id.eq(account_id))
        .filter(accounts::domain.eq(domain))
        .select((Follow::as_select(), Account::as_select()))
        .load(conn)?;
    out.extend(
        follows::table
            .inner_join(accounts::table.on(accounts::id.eq(follows::account_id)))
            .filter(follows::target_account_id.eq(account_id))
            .filter(accounts::domain.eq(domain))
            .select((Follow::as_select(), Account::as_select()))
            .load::<(Follow, Account)>(conn)?,
    );
    Ok(out)
}

/// Pending requests to follow `target`, oldest first.
pub fn requests(conn: &mut DbConn, target: i64) -> Result<Vec<(Follow, Account)>, StorageError> {
    Ok(follows::table
        .inner_join(accounts::table.on(accounts::id.eq(follows::account_id)))
        .filter(follows::target_account_id.eq(target))
        .filter(follows::accepted.eq(false))
        .order(follows::id.asc())
        .select((Follow::as_select(), Account::as_select()))
        .load(conn)?)
}

/// Ids of the local accounts that follow `target` (accepted) and do not block it: whose home
/// feeds get its posts.
pub fn local_follower_ids(conn: &mut DbConn, target: i64) -> Result<Vec<i64>, StorageError> {
    let blocking = blocks::table
        .filter(blocks::target_account_id.eq(target))
        .select(blocks::account_id);
    Ok(follows::table
        .inner_join(accounts::table.on(accounts::id.eq(follows::account_id)))
        .filter(follows::target_account_id.eq(target))
        .filter(follows::accepted.eq(true))
        .filter(accounts::domain.is_null())
        .filter(accounts::id.ne_all(blocking))
        .select(accounts::id)
        .load(conn)?)
}

/// Inboxes of the remote followers of `target`: shared inboxes where offered, each once.
pub fn remote_follower_inboxes(
    conn: &mut DbConn,
    target: i64,
) -> Result<Vec<String>, StorageError> {
    let rows: Vec<(String, Option<String>)> = follows::table
        .inner_join(accounts::table.on(accounts::id.eq(follows::account_id)))
        .filter(follows::target_account_id.eq(target))
        .filter(follows::accepted.eq(true))
        .filter(accounts::domain.is_not_null())
        .select((accounts::inbox_url, accounts::shared_inbox_url))
        .load(conn)?;
    let mut inboxes: Vec<String> = rows
        .into_iter()
        .map(|(inbox, shared)| shared.unwrap_or(inbox))
        .collect();
    inboxes.sort();
    inboxes.dedup();
    Ok(inboxes)
}

/// (followers, following) counts of an account.
pub fn counts(conn: &mut DbConn, account_id: i64) -> Result<(i64, i64), StorageError> {
    let followers = follows::table
        .filter(follows::target_account_id.eq(account_id))
        .filter(follows::accepted.eq(true))
        .count()
        .get_result(conn)?;
    let following = follows::table
        .filter(follows::account_id.eq(account_id))
        .filter(follows::accepted.eq(true))
        .count()
        .get_result(conn)?;
    Ok((followers, following))
}

/// Number of pending requests to follow an account.
pub fn count_requests(conn: &mut DbConn, target: i64) -> Result<i64, StorageError> {
    Ok(follows::table
        .filter(follows::target_account_id.eq(target))
        .filter(follows::accepted.eq(false))
        .count()
        .get_result(conn)?)
}

/// Records a block (and ends follows both ways, as Mastodon does).
pub fn block(
    conn: &mut DbConn,
    id: i64,
    account_id: i64,
    target: i64,
    ap_id: &str,
) -> Result<(), StorageError> {
    remove(conn, account_id, target)?;
    remove(conn, target, account_id)?;
    // One statement, so that concurrent blocks of the same pair store one row and none fails.
    let insert = diesel::insert_into(blocks::table)
        .values((
            blocks::id.eq(id),
            blocks::account_id.eq(account_id),
            blocks::target_account_id.eq(target),
            blocks::ap_id.eq(ap_id),
            blocks::created_at.eq(crate::now()),
        ))
        .on_conflict_do_nothing();
    match conn {
        DbConn::Postgresql(pg) => insert.execute(pg)?,
        DbConn::Sqlite(lite) => insert.execute(lite)?,
    };
    Ok(())
}

/// Removes a block.
pub fn unblock(conn: &mut DbConn, account_id: i64, target: i64) -> Result<(), StorageError> {
    diesel::delete(
        blocks::table
            .filter(blocks::account_id.eq(account_id))
            .filter(blocks::target_account_id.eq(target)),
    )
    .execute(conn)?;
    Ok(())
}

/// The id of the Block activity of `account_id` against `target`, if it blocks it.
pub fn block_id(
    conn: &mut DbConn,
    account_id: i64,
    target: i64,
) -> Result<Option<String>, StorageError> {
    Ok(blocks::table
        .filter(blocks::account_id.eq(account_id))
        .filter(blocks::target_account_id.eq(target))
        .select(blocks::ap_id)
        .first(conn)
        .optional()?)
}

/// Whether `account_id` blocks `target`.
pub fn blocks(conn: &mut DbConn, account_id: i64, target: i64) -> Result<bool, StorageError> {
    Ok(!blockers_among(conn, &[account_id], target)?.is_empty())
}

/// Whether either of two accounts blocks the other.
pub fn blocked_either_way(conn: &mut DbConn, a: i64, b: i64) -> Result<bool, StorageError> {
    Ok(blocks::table
        .filter(
            (blocks::account_id
                .eq(a)
                .and(blocks::target_account_id.eq(b)))
            .or(blocks::account_id
                .eq(b)
                .and(blocks::target_account_id.eq(a))),
        )
        .count()
        .get_result::<i64>(conn)?
        > 0)
}

/// Which of `account_ids` block `target`.
pub fn blockers_among(
    conn: &mut DbConn,
    account_ids: &[i64],
    target: i64,
) -> Result<Vec<i64>, StorageError> {
    let mut out = Vec::new();
    // Chunked: both backends cap the number of bound parameters in one statement.
    for chunk in account_ids.chunks(10_000) {
        out.extend(
            blocks::table
                .filter(blocks::account_id.eq_any(chunk))
                .filter(blocks::target_account_id.eq(target))
                .select(blocks::account_id)
                .load::<i64>(conn)?,
        );
    }
    Ok(out)
}

/// The accounts `account_id` blocks, as (block id, account), newest block first, paged by the
/// block's id.
pub fn blocked(
    conn: &mut DbConn,
    account_id: i64,
    page: crate::statuses::Page,
) -> Result<Vec<(i64, Account)>, StorageError> {
    let mut q = blocks::table
        .inner_join(accounts::table.on(accounts::id.eq(blocks::target_account_id)))
        .filter(blocks::account_id.eq(account_id))
        .select((blocks::id, Account::as_select()))
        .into_boxed();
    if let Some(max) = page.max_id {
        q = q.filter(blocks::id.lt(max));
    }
    if let Some(since) = page.since_id {
        q = q.filter(blocks::id.gt(since));
    }
    let limit = page.limit.clamp(1, 80);
    let mut rows: Vec<(i64, Account)> = match page.min_id {
        Some(min) => q
            .filter(blocks::id.gt(min))
            .order(blocks::id.asc())
            .limit(limit)
            .load(conn)?,
        None => q.order(blocks::id.desc()).limit(limit).load(conn)?,
    };
    if page.min_id.is_some() {
        rows.reverse();
    }
    Ok(rows)
}

/// Accounts that `me` follows and that follow `target` (accepted follows both), at most
/// `limit`.
pub fn familiar_followers(
    conn: &mut DbConn,
    me: i64,
    target: i64,
    limit: i64,
) -> Result<Vec<Account>, StorageError> {
    let followed_by_me = follows::table
        .filter(follows::account_id.eq(me))
        .filter(follows::accepted.eq(true))
        .select(follows::target_account_id);
    let following_target = follows::table
        .filter(follows::target_account_id.eq(target))
        .filter(follows::accepted.eq(true))
        .select(follows::account_id);
    Ok(accounts::table
        .filter(accounts::id.eq_any(followed_by_me))
        .filter(accounts::id.eq_any(following_target))
        .filter(accounts::id.ne(me))
        .order(accounts::id.asc())
        .limit(limit)
        .select(Account::as_select())
        .load(conn)?)
}
