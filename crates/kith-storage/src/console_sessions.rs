//! Sessions of the moderators' web console: one row per signed-in browser, keyed by the digest
//! of the secret its cookie holds, with the session's CSRF token and a one-off message for the
//! next page. In the database so that every Kith process sharing it knows every session. The
//! rules (lifetime, who may have one) are in `kith_core::console_sessions`.

use crate::pool::DbConn;
use crate::schema::console_sessions;
use crate::StorageError;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// A console session.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = console_sessions)]
pub struct ConsoleSession {
    /// SHA-256 (hex) of the secret in the browser's cookie.
    pub secret_hash: String,
    /// The staff account signed in.
    pub account_id: i64,
    /// The token every form of this session must carry.
    pub csrf_token: String,
    /// A message for the next page shown (then cleared).
    pub flash: Option<String>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

/// Stores a new session, and deletes sessions that expired before `now`.
pub fn insert(
    conn: &mut DbConn,
    session: &ConsoleSession,
    now: NaiveDateTime,
) -> Result<(), StorageError> {
    diesel::delete(console_sessions::table.filter(console_sessions::expires_at.le(now)))
        .execute(conn)?;
    diesel::insert_into(console_sessions::table)
        .values(session)
        .execute(conn)?;
    Ok(())
}

/// The session with this secret digest, if it has not expired at `now`.
pub fn live(
    conn: &mut DbConn,
    secret_hash: &str,
    now: NaiveDateTime,
) -> Result<Option<ConsoleSession>, StorageError> {
    Ok(console_sessions::table
        .find(secret_hash)
        .filter(console_sessions::expires_at.gt(now))
        .select(ConsoleSession::as_select())
        .first(conn)
        .optional()?)
}

/// Sets (or clears) the message for the session's next page.
pub fn set_flash(
    conn: &mut DbConn,
    secret_hash: &str,
    flash: Option<&str>,
) -> Result<(), StorageError> {
    diesel::update(console_sessions::table.find(secret_hash))
        .set(console_sessions::flash.eq(flash))
        .execute(conn)?;
    Ok(())
}

/// Ends a session; returns whether there was one.
pub fn delete(conn: &mut DbConn, secret_hash: &str) -> Result<bool, StorageError> {
    Ok(diesel::delete(console_sessions::table.find(secret_hash)).execute(conn)? == 1)
}
