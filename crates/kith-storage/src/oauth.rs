//! OAuth 2 applications, authorization codes and bearer tokens. Codes and tokens are stored
//! only as SHA-256 digests: a copy of the database does not let anyone log in.

use crate::pool::DbConn;
use crate::schema::{oauth_apps, oauth_codes, oauth_tokens};
use crate::StorageError;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// A registered client application.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = oauth_apps)]
pub struct App {
    pub id: i64,
    pub client_id: String,
    pub client_secret: String,
    pub name: String,
    pub website: Option<String>,
    pub redirect_uris: String,
    pub scopes: String,
    pub created_at: NaiveDateTime,
}

impl App {
    /// The registered redirect URIs, one per line in storage.
    pub fn redirect_uri_list(&self) -> Vec<&str> {
        self.redirect_uris
            .split(['\n', ' '])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect()
    }
}

/// A pending authorization code.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = oauth_codes)]
pub struct Code {
    pub code_hash: String,
    pub app_id: i64,
    pub account_id: i64,
    pub redirect_uri: String,
    pub scopes: String,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub expires_at: NaiveDateTime,
}

/// An access token.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = oauth_tokens)]
pub struct Token {
    pub id: i64,
    pub token_hash: String,
    pub app_id: Option<i64>,
    pub account_id: Option<i64>,
    pub scopes: String,
    pub created_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
    /// The digest of the authorization code it was issued for, if any.
    pub code_hash: Option<String>,
}

/// Registers an application.
pub fn insert_app(conn: &mut DbConn, app: &App) -> Result<(), StorageError> {
    diesel::insert_into(oauth_apps::table)
        .values(app)
        .execute(conn)?;
    Ok(())
}

/// The application with this client id.
pub fn app_by_client_id(conn: &mut DbConn, client_id: &str) -> Result<App, StorageError> {
    Ok(oauth_apps::table
        .filter(oauth_apps::client_id.eq(client_id))
        .select(App::as_select())
        .first(conn)?)
}

/// The application named `name` that has no redirect URI (one no client could register:
/// `POST /api/v1/apps` requires one), if any.
pub fn app_without_redirect(conn: &mut DbConn, name: &str) -> Result<Option<App>, StorageError> {
    Ok(oauth_apps::table
        .filter(oauth_apps::name.eq(name))
        .filter(oauth_apps::redirect_uris.eq(""))
        .order(oauth_apps::id.asc())
        .select(App::as_select())
        .first(conn)
        .optional()?)
}

/// The application with this id.
pub fn app_by_id(conn: &mut DbConn, id: i64) -> Result<App, StorageError> {
    Ok(oauth_apps::table
        .find(id)
        .select(App::as_select())
        .first(conn)?)
}

/// Stores a new authorization code.
pub fn insert_code(conn: &mut DbConn, code: &Code) -> Result<(), StorageError> {
    diesel::insert_into(oauth_codes::table)
        .values(code)
        .execute(conn)?;
    Ok(())
}

/// Removes and returns the code with this digest in one statement (`DELETE … RETURNING`), so
/// that of several concurrent redemptions exactly one gets the code: a code can be redeemed
/// once only, and a failed redemption burns it too, as RFC 6749 §4.1.2 asks.
pub fn take_code(conn: &mut DbConn, code_hash: &str) -> Result<Code, StorageError> {
    Ok(diesel::delete(oauth_codes::table.find(code_hash))
        .returning(oauth_codes::all_columns)
        .get_result::<Code>(conn)?)
}

/// Revokes every live token issued for the code with this digest (a replayed code, RFC 6749
/// §4.1.2); returns how many were revoked.
pub fn revoke_tokens_of_code(
    conn: &mut DbConn,
    code_hash: &str,
    at: NaiveDateTime,
) -> Result<usize, StorageError> {
    Ok(diesel::update(
        oauth_tokens::table
            .filter(oauth_tokens::code_hash.eq(code_hash))
            .filter(oauth_tokens::revoked_at.is_null()),
    )
    .set(oauth_tokens::revoked_at.eq(at))
    .execute(conn)?)
}

/// Stores a new token.
pub fn insert_token(conn: &mut DbConn, token: &Token) -> Result<(), StorageError> {
    diesel::insert_into(oauth_tokens::table)
        .values(token)
        .execute(conn)?;
    Ok(())
}

/// The live (unrevoked) token with this digest.
pub fn live_token(conn: &mut DbConn, token_hash: &str) -> Result<Token, StorageError> {
    Ok(oauth_tokens::table
        .filter(oauth_tokens::token_hash.eq(token_hash))
        .filter(oauth_tokens::revoked_at.is_null())
        .select(Token::as_select())
        .first(conn)?)
}

/// Revokes the token with this digest if it belongs to `app_id`; returns whether one was revoked.
pub fn revoke_token(
    conn: &mut DbConn,
    token_hash: &str,
    app_id: i64,
    at: NaiveDateTime,
) -> Result<bool, StorageError> {
    let n = diesel::update(
        oauth_tokens::table
            .filter(oauth_tokens::token_hash.eq(token_hash))
            .filter(oauth_tokens::app_id.eq(app_id))
            .filter(oauth_tokens::revoked_at.is_null()),
    )
    .set(oauth_tokens::revoked_at.eq(at))
    .execute(conn)?;
    Ok(n > 0)
}

/// Deletes authorization codes that expired before `now`.
pub fn delete_expired_codes(conn: &mut DbConn, now: NaiveDateTime) -> Result<usize, StorageError> {
    Ok(diesel::delete(oauth_codes::table.filter(oauth_codes::expires_at.lt(now))).execute(conn)?)
}

/// How many applications are registered.
pub fn count_apps(conn: &mut DbConn) -> Result<i64, StorageError> {
    Ok(oauth_apps::table.count().get_result(conn)?)
}

/// How many authorization codes are pending.
pub fn count_codes(conn: &mut DbConn) -> Result<i64, StorageError> {
    Ok(oauth_codes::table.count().get_result(conn)?)
}

/// How many people signed in (were issued a token for themselves) in `[from, to)`.
pub fn count_logins_between(
    conn: &mut DbConn,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> Result<i64, StorageError> {
    Ok(oauth_tokens::table
        .filter(oauth_tokens::account_id.is_not_null())
        .filter(oauth_tokens::created_at.ge(from))
        .filter(oauth_tokens::created_at.lt(to))
        .select(diesel::dsl::count(oauth_tokens::account_id).aggregate_distinct())
        .get_result(conn)?)
}
