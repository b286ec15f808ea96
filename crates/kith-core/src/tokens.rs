//! Random secrets and OAuth bearer tokens. Tokens and codes are shown once and stored as
//! SHA-256 digests.

use crate::{CoreError, Scopes};
use base64::Engine;
use kith_storage::accounts::Account;
use kith_storage::oauth::{self, Token};
use kith_storage::{Db, DbConn, OptionalExt, StorageError};
use sha2::{Digest, Sha256};

/// A fresh 256-bit secret, URL-safe base64 without padding.
pub fn random_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The stored form of a token or code: its SHA-256 in hex.
pub fn digest(secret: &str) -> String {
    let d = Sha256::digest(secret.as_bytes());
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// A new bearer token, not yet stored: the secret (shown once) and its row. `code_hash` names
/// the authorization code it is issued for, if any.
pub fn new_token(
    app_id: Option<i64>,
    account_id: Option<i64>,
    scopes: &Scopes,
    code_hash: Option<String>,
) -> (String, Token) {
    let secret = random_secret();
    let token = Token {
        id: kith_storage::id::new_id(),
        token_hash: digest(&secret),
        app_id,
        account_id,
        scopes: scopes.to_string(),
        created_at: kith_storage::now(),
        revoked_at: None,
        code_hash,
    };
    (secret, token)
}

/// Stores a token made by `new_token`, inside the caller's transaction, and marks its
/// account active.
pub fn store(c: &mut DbConn, token: &Token) -> Result<(), StorageError> {
    oauth::insert_token(c, token)?;
    if let Some(account_id) = token.account_id {
        kith_storage::users::touch_active(c, account_id, token.created_at)?;
    }
    Ok(())
}

/// Issues a new bearer token and returns it (the only time it is seen in clear).
pub async fn issue(
    db: &Db,
    app_id: Option<i64>,
    account_id: Option<i64>,
    scopes: &Scopes,
) -> Result<(String, Token), CoreError> {
    let (secret, token) = new_token(app_id, account_id, scopes, None);
    let row = token.clone();
    db.write(move |c| store(c, &row)).await?;
    Ok((secret, token))
}

/// The application every `kith admin token` token belongs to, so that
/// `GET /api/v1/apps/verify_credentials` names one.
pub const CLI_APP_NAME: &str = "kith admin token";

/// Issues a token for a local account from the command line: it belongs to the
/// `CLI_APP_NAME` application, made on first use. That application has no redirect URI and a
/// secret nobody is shown, so no OAuth flow can use it.
pub async fn issue_for_cli(
    db: &Db,
    account_id: i64,
    scopes: &Scopes,
) -> Result<(String, Token), CoreError> {
    let app_scopes = Scopes::parse("read write follow push admin:read admin:write")?.to_string();
    let (secret, mut token) = new_token(None, Some(account_id), scopes, None);
    let row = db
        .write(move |c| {
            let app = match oauth::app_without_redirect(c, CLI_APP_NAME)? {
                Some(app) => app,
                None => {
                    let app = oauth::App {
                        id: kith_storage::id::new_id(),
                        client_id: random_secret(),
                        client_secret: random_secret(),
                        name: CLI_APP_NAME.into(),
                        website: None,
                        redirect_uris: String::new(),
                        scopes: app_scopes,
                        created_at: kith_storage::now(),
                    };
                    oauth::insert_app(c, &app)?;
                    app
                }
            };
            token.app_id = Some(app.id);
            store(c, &token)?;
            Ok(token)
        })
        .await?;
    Ok((secret, row))
}

/// What a valid bearer token stands for.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// The token row.
    pub token: Token,
    /// Its scopes, parsed.
    pub scopes: Scopes,
    /// The account it acts for; `None` for an application-only (client credentials) token.
    pub account: Option<Account>,
    /// The account's role, for a token that acts for a local user.
    pub role: Option<crate::accounts::Role>,
}

/// Looks a bearer token up; `None` when it is unknown or revoked, or when its account may not
/// sign in now (suspended, disabled, or awaiting approval: `moderation::may_sign_in`).
pub async fn authenticate(db: &Db, secret: &str) -> Result<Option<Authenticated>, CoreError> {
    let hash = digest(secret);
    let found = db
        .read(move |c| {
            let Some(token) = oauth::live_token(c, &hash).optional()? else {
                return Ok(None);
            };
            let (account, role) = match token.account_id {
                Some(id) => {
                    if !crate::moderation::may_sign_in(c, id)? {
                        return Ok(None);
                    }
                    let role = kith_storage::users::by_account_id(c, id)
                        .optional()?
                        .map(|u| u.role);
                    (Some(kith_storage::accounts::by_id(c, id)?), role)
                }
                None => (None, None),
            };
            Ok(Some((token, account, role)))
        })
        .await?;
    Ok(match found {
        Some((token, account, role)) => Some(Authenticated {
            scopes: Scopes::parse(&token.scopes)?,
            token,
            account,
            role: role.and_then(|r| r.parse().ok()),
        }),
        None => None,
    })
}
