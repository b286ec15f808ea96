//! Recent failed logins, for the password throttle at `/oauth/authorize`: one row per failure,
//! keyed by the account name typed and by the client's address. In the database so that every
//! Kith process sharing it sees the same count.

use crate::pool::DbConn;
use crate::schema::login_failures;
use crate::StorageError;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Records a failed login, and deletes failures older than `forget_before` (the throttle window
/// has passed them), so the table holds at most one window's failures.
pub fn record(
    conn: &mut DbConn,
    id: i64,
    username: &str,
    ip: &str,
    at: NaiveDateTime,
    forget_before: NaiveDateTime,
) -> Result<(), StorageError> {
    diesel::delete(login_failures::table.filter(login_failures::failed_at.lt(forget_before)))
        .execute(conn)?;
    diesel::insert_into(login_failures::table)
        .values((
            login_failures::id.eq(id),
            login_failures::username.eq(username),
            login_failures::ip.eq(ip),
            login_failures::failed_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// The times of the latest `limit` failures since `since` for this account name, newest first.
pub fn latest_for_username(
    conn: &mut DbConn,
    username: &str,
    since: NaiveDateTime,
    limit: i64,
) -> Result<Vec<NaiveDateTime>, StorageError> {
    Ok(login_failures::table
        .filter(login_failures::username.eq(username))
        .filter(login_failures::failed_at.ge(since))
        .order(login_failures::failed_at.desc())
        .limit(limit)
        .select(login_failures::failed_at)
        .load(conn)?)
}

/// The times of the latest `limit` failures since `since` from this address, newest first.
pub fn latest_for_ip(
    conn: &mut DbConn,
    ip: &str,
    since: NaiveDateTime,
    limit: i64,
) -> Result<Vec<NaiveDateTime>, StorageError> {
    Ok(login_failures::table
        .filter(login_failures::ip.eq(ip))
        .filter(login_failures::failed_at.ge(since))
        .order(login_failures::failed_at.desc())
        .limit(limit)
        .select(login_failures::failed_at)
        .load(conn)?)
}
