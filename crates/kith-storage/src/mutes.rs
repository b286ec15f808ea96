//! What a person keeps out of their own sight: muted accounts (with an optional end, and
//! optionally their notifications too) and whole domains blocked for themselves. A mute past
//! its `expires_at` counts as gone everywhere it is read.

use crate::accounts::Account;
use crate::pool::DbConn;
use crate::schema::{account_domain_blocks, accounts, mutes};
use crate::statuses::Page;
use crate::StorageError;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// One mute.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = mutes)]
pub struct Mute {
    pub id: i64,
    pub account_id: i64,
    pub target_account_id: i64,
    pub hide_notifications: bool,
    pub expires_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

/// Mutes `target` for `account_id` (replacing an earlier mute of it).
pub fn mute(
    conn: &mut DbConn,
    account_id: i64,
    target: i64,
    hide_notifications: bool,
    expires_at: Option<NaiveDateTime>,
) -> Result<(), StorageError> {
    unmute(conn, account_id, target)?;
    diesel::insert_into(mutes::table)
        .values((
            mutes::id.eq(crate::id::new_id()),
            mutes::account_id.eq(account_id),
            mutes::target_account_id.eq(target),
            mutes::hide_notifications.eq(hide_notifications),
            mutes::expires_at.eq(expires_at),
            mutes::created_at.eq(crate::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Ends a mute, if there is one.
pub fn unmute(conn: &mut DbConn, account_id: i64, target: i64) -> Result<(), StorageError> {
    diesel::delete(
        mutes::table
            .filter(mutes::account_id.eq(account_id))
            .filter(mutes::target_account_id.eq(target)),
    )
    .execute(conn)?;
    Ok(())
}

/// `account_id`'s mute of `target`, if one is in force.
pub fn mute_of(
    conn: &mut DbConn,
    account_id: i64,
    target: i64,
) -> Result<Option<Mute>, StorageError> {
    Ok(mutes::table
        .filter(mutes::account_id.eq(account_id))
        .filter(mutes::target_account_id.eq(target))
        .filter(
            mutes::expires_at
                .is_null()
                .or(mutes::expires_at.gt(crate::now())),
        )
        .select(Mute::as_select())
        .first(conn)
        .optional()?)
}

/// The accounts `account_id` mutes now, as (mute id, account), newest mute first.
pub fn muted(
    conn: &mut DbConn,
    account_id: i64,
    page: Page,
) -> Result<Vec<(i64, Account)>, StorageError> {
    let mut q = mutes::table
        .inner_join(accounts::table.on(accounts::id.eq(mutes::target_account_id)))
        .filter(mutes::account_id.eq(account_id))
        .filter(
            mutes::expires_at
                .is_null()
                .or(mutes::expires_at.gt(crate::now())),
        )
        .select((mutes::id, Account::as_select()))
        .into_boxed();
    if let Some(max) = page.max_id {
        q = q.filter(mutes::id.lt(max));
    }
    if let Some(since) = page.since_id {
        q = q.filter(mutes::id.gt(since));
    }
    let limit = page.limit.clamp(1, 80);
    let mut rows: Vec<(i64, Account)> = match page.min_id {
        Some(min) => q
            .filter(mutes::id.gt(min))
            .order(mutes::id.asc())
            .limit(limit)
            .load(conn)?,
        None => q.order(mutes::id.desc()).limit(limit).load(conn)?,
    };
    if page.min_id.is_some() {
        rows.reverse();
    }
    Ok(rows)
}

/// Blocks a domain for `account_id` (nothing if it is blocked already).
pub fn block_domain(conn: &mut DbConn, account_id: i64, domain: &str) -> Result<(), StorageError> {
    let insert = diesel::insert_into(account_domain_blocks::table)
        .values((
            account_domain_blocks::id.eq(crate::id::new_id()),
            account_domain_blocks::account_id.eq(account_id),
            account_domain_blocks::domain.eq(domain),
            account_domain_blocks::created_at.eq(crate::now()),
        ))
        .on_conflict_do_nothing();
    match conn {
        DbConn::Postgresql(pg) => insert.execute(pg)?,
        DbConn::Sqlite(lite) => insert.execute(lite)?,
    };
    Ok(())
}

/// Unblocks a domain for `account_id`.
pub fn unblock_domain(
    conn: &mut DbConn,
    account_id: i64,
    domain: &str,
) -> Result<(), StorageError> {
    diesel::delete(
        account_domain_blocks::table
            .filter(account_domain_blocks::account_id.eq(account_id))
            .filter(account_domain_blocks::domain.eq(domain)),
    )
    .execute(conn)?;
    Ok(())
}

/// The domains `account_id` blocks, as (block id, domain), newest first.
pub fn blocked_domains(
    conn: &mut DbConn,
    account_id: i64,
    page: Page,
) -> Result<Vec<(i64, String)>, StorageError> {
    let mut q = account_domain_blocks::table
        .filter(account_domain_blocks::account_id.eq(account_id))
        .select((account_domain_blocks::id, account_domain_blocks::domain))
        .into_boxed();
    if let Some(max) = page.max_id {
        q = q.filter(account_domain_blocks::id.lt(max));
    }
    if let Some(since) = page.since_id {
        q = q.filter(account_domain_blocks::id.gt(since));
    }
    let limit = page.limit.clamp(1, 200);
    let mut rows: Vec<(i64, String)> = match page.min_id {
        Some(min) => q
            .filter(account_domain_blocks::id.gt(min))
            .order(account_domain_blocks::id.asc())
            .limit(limit)
            .load(conn)?,
        None => q
            .order(account_domain_blocks::id.desc())
            .limit(limit)
            .load(conn)?,
    };
    if page.min_id.is_some() {
        rows.reverse();
    }
    Ok(rows)
}

/// Whether `account_id` blocks this domain.
pub fn blocks_domain(
    conn: &mut DbConn,
    account_id: i64,
    domain: &str,
) -> Result<bool, StorageError> {
    Ok(account_domain_blocks::table
        .filter(account_domain_blocks::account_id.eq(account_id))
        .filter(account_domain_blocks::domain.eq(domain))
        .count()
        .get_result::<i64>(conn)?
        > 0)
}
