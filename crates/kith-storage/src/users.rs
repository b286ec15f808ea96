//! Credentials and roles of local accounts.

use crate::accounts::Account;
use crate::pool::DbConn;
use crate::schema::{accounts, users};
use crate::StorageError;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Login credentials of a local account.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct User {
    pub account_id: i64,
    pub email: Option<String>,
    pub password_hash: String,
    pub role: String,
    pub created_at: NaiveDateTime,
    pub last_active_at: Option<NaiveDateTime>,
}

/// Inserts an account and its credentials together (the caller's transaction makes it atomic).
pub fn insert_with_account(
    conn: &mut DbConn,
    account: &Account,
    user: &User,
) -> Result<(), StorageError> {
    crate::accounts::insert(conn, account)?;
    diesel::insert_into(users::table)
        .values(user)
        .execute(conn)?;
    Ok(())
}

/// The credentials and account of the local user with this username.
pub fn by_username(conn: &mut DbConn, username: &str) -> Result<(User, Account), StorageError> {
    Ok(users::table
        .inner_join(accounts::table)
        .filter(accounts::domain.is_null())
        .filter(crate::accounts::lower(accounts::username).eq(username.to_lowercase()))
        .select((User::as_select(), Account::as_select()))
        .first(conn)?)
}

/// The credentials and account of the local user with this email address.
pub fn by_email(conn: &mut DbConn, email: &str) -> Result<(User, Account), StorageError> {
    Ok(users::table
        .inner_join(accounts::table)
        .filter(crate::accounts::lower(users::email.assume_not_null()).eq(email.to_lowercase()))
        .select((User::as_select(), Account::as_select()))
        .first(conn)?)
}

/// The credentials of the local account with this id.
pub fn by_account_id(conn: &mut DbConn, account_id: i64) -> Result<User, StorageError> {
    Ok(users::table
        .find(account_id)
        .select(User::as_select())
        .first(conn)?)
}

/// Records that the user signed in (or was issued a token) at `at`.
pub fn touch_active(
    conn: &mut DbConn,
    account_id: i64,
    at: NaiveDateTime,
) -> Result<(), StorageError> {
    diesel::update(users::table.find(account_id))
        .set(users::last_active_at.eq(at))
        .execute(conn)?;
    Ok(())
}

/// Local users active since `since`.
pub fn count_active_since(conn: &mut DbConn, since: NaiveDateTime) -> Result<i64, StorageError> {
    Ok(users::table
        .filter(users::last_active_at.ge(since))
        .count()
        .get_result(conn)?)
}

/// How many local people registered in `[from, to)`.
pub fn count_registered_between(
    conn: &mut DbConn,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> Result<i64, StorageError> {
    Ok(users::table
        .filter(users::created_at.ge(from))
        .filter(users::created_at.lt(to))
        .count()
        .get_result(conn)?)
}
