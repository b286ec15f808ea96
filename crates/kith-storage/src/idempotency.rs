//! `Idempotency-Key`s of new posts, per account. The first request with a key claims it (a row
//! without a status, inserted with `ON CONFLICT DO NOTHING`, so of concurrent requests exactly
//! one claims it); when its post is stored the row names it, and later requests with the key
//! get that post. A claim whose post never came (its process died) can be taken over.

use crate::pool::DbConn;
use crate::schema::idempotency_keys;
use crate::StorageError;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// What a key holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    /// This call claimed it: post, then [`fulfil`] (or [`release`] on failure).
    Claimed,
    /// Another request with the key is posting.
    Pending,
    /// The key's post.
    Done(i64),
}

/// Claims `key` for `account_id`, or says what holds it. A key older than `expired_before`
/// (or a claim older than `stale_before` without a post) is taken over.
pub fn claim(
    conn: &mut DbConn,
    account_id: i64,
    key: &str,
    now: NaiveDateTime,
    expired_before: NaiveDateTime,
    stale_before: NaiveDateTime,
) -> Result<KeyState, StorageError> {
    let insert = diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::account_id.eq(account_id),
            idempotency_keys::key.eq(key),
            idempotency_keys::created_at.eq(now),
        ))
        .on_conflict_do_nothing();
    let inserted = match conn {
        DbConn::Postgresql(pg) => insert.execute(pg)?,
        DbConn::Sqlite(lite) => insert.execute(lite)?,
    };
    if inserted > 0 {
        return Ok(KeyState::Claimed);
    }
    let this = idempotency_keys::table
        .filter(idempotency_keys::account_id.eq(account_id))
        .filter(idempotency_keys::key.eq(key));
    // Take over an expired key, or a claim abandoned (status still NULL) for too long: one
    // conditional UPDATE, so only one taker succeeds.
    let taken = diesel::update(
        this.filter(
            idempotency_keys::created_at
                .lt(expired_before)
                .or(idempotency_keys::status_id
                    .is_null()
                    .and(idempotency_keys::created_at.lt(stale_before))),
        ),
    )
    .set((
        idempotency_keys::created_at.eq(now),
        idempotency_keys::status_id.eq(None::<i64>),
    ))
    .execute(conn)?;
    if taken > 0 {
        return Ok(KeyState::Claimed);
    }
    let status: Option<Option<i64>> = this
        .select(idempotency_keys::status_id)
        .first(conn)
        .optional()?;
    Ok(match status {
        Some(Some(id)) => KeyState::Done(id),
        // Held by another request (or freed by a deleted post meanwhile: ask again).
        _ => KeyState::Pending,
    })
}

/// Records the post made under a claimed key.
pub fn fulfil(
    conn: &mut DbConn,
    account_id: i64,
    key: &str,
    status_id: i64,
) -> Result<(), StorageError> {
    diesel::update(
        idempotency_keys::table
            .filter(idempotency_keys::account_id.eq(account_id))
            .filter(idempotency_keys::key.eq(key)),
    )
    .set(idempotency_keys::status_id.eq(status_id))
    .execute(conn)?;
    Ok(())
}

/// Gives up a claim whose post failed, so a retry with the key may post.
pub fn release(conn: &mut DbConn, account_id: i64, key: &str) -> Result<(), StorageError> {
    diesel::delete(
        idempotency_keys::table
            .filter(idempotency_keys::account_id.eq(account_id))
            .filter(idempotency_keys::key.eq(key))
            .filter(idempotency_keys::status_id.is_null()),
    )
    .execute(conn)?;
    Ok(())
}

/// Deletes keys older than `before`; returns how many.
pub fn prune(conn: &mut DbConn, before: NaiveDateTime) -> Result<usize, StorageError> {
    Ok(
        diesel::delete(idempotency_keys::table.filter(idempotency_keys::created_at.lt(before)))
            .execute(conn)?,
    )
}
