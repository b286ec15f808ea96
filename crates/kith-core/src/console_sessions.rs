//! Who is signed in to the moderators' web console, and for how long. A session is a random
//! secret held by the browser (only its digest is stored), valid for [`LIFETIME`], with its own
//! CSRF token. It stands only while its account may sign in (not suspended, disabled or
//! unapproved: `moderation::may_sign_in`) and is staff (admin or moderator); both are read
//! from the database on every request, so a demotion or a suspension ends access at once in
//! every process.

use crate::accounts::Role;
use crate::moderation::{may_sign_in, Staff};
use crate::tokens::{digest, random_secret};
use kith_storage::accounts::{self, Account};
use kith_storage::console_sessions::{self as store, ConsoleSession};
use kith_storage::{users, DbConn, OptionalExt, StorageError};

/// How long a console session lasts from sign-in.
pub const LIFETIME: chrono::TimeDelta = chrono::TimeDelta::hours(12);

/// A signed-in console user, as found from the cookie's secret.
#[derive(Debug, Clone)]
pub struct Signed {
    /// The session row (its digest names it; its CSRF token guards the forms).
    pub session: ConsoleSession,
    /// The account signed in.
    pub account: Account,
    /// The account as staff, or `None` for someone who is not (a plain user).
    pub staff: Option<Staff>,
}

/// Starts a session for `account_id`; returns the secret for the cookie (shown only now).
pub fn start(conn: &mut DbConn, account_id: i64) -> Result<String, StorageError> {
    let secret = random_secret();
    let now = kith_storage::now();
    store::insert(
        conn,
        &ConsoleSession {
            secret_hash: digest(&secret),
            account_id,
            csrf_token: random_secret(),
            flash: None,
            created_at: now,
            expires_at: now + LIFETIME,
        },
        now,
    )?;
    Ok(secret)
}

/// The live session for a cookie's secret, with its account and role; `None` if there is no
/// such session, it expired, or its account may no longer sign in.
pub fn find(conn: &mut DbConn, secret: &str) -> Result<Option<Signed>, StorageError> {
    let Some(session) = store::live(conn, &digest(secret), kith_storage::now())? else {
        return Ok(None);
    };
    let Some(account) = accounts::by_id(conn, session.account_id).optional()? else {
        return Ok(None);
    };
    let Some(user) = users::by_account_id(conn, account.id).optional()? else {
        return Ok(None);
    };
    if !may_sign_in(conn, account.id)? {
        return Ok(None);
    }
    let role = user.role.parse::<Role>().ok();
    Ok(Some(Signed {
        staff: Staff::new(account.id, role),
        session,
        account,
    }))
}

/// Whether `presented` is this session's CSRF token. Compares digests, so the time taken says
/// nothing about the token.
pub fn csrf_matches(session: &ConsoleSession, presented: &str) -> bool {
    !presented.is_empty() && digest(presented) == digest(&session.csrf_token)
}
