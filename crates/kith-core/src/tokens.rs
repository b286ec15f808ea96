//! Random secrets and OAuth bearer tokens. Tokens and codes are shown once and stored as
//! SHA-256 digests.

use crate::{CoreError, Scopes};
use base64::Engine;
use kith_storage::accounts::Account;
use kith_storage::oauth::{self, Token};
use kith_storage::{Db, OptionalExt};
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

/// Issues a new bearer token and returns it (the only time it is seen in clear).
pub async fn issue(
    db: &Db,
    app_id: Option<i64>,
    account_id: Option<i64>,
    scopes: &Scopes,
) -> Result<(String, Token), CoreError> {
    let secret = random_secret();
    let token = Token {
        id: kith_storage::id::new_id(),
        token_hash: digest(&secret),
        app_id,
        account_id,
        scopes: scopes.to_string(),
        created_at: kith_storage::now(),
        revoked_at: None,
    };
    let row = token.clone();
    db.write(move |c| {
        oauth::insert_token(c, &row)?;
        if let Some(account_id) = row.account_id {
            kith_storage::users::touch_active(c, account_id, row.created_at)?;
        }
        Ok(())
    })
    .await?;
    Ok((secret, token))
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
}

/// Looks a bearer token up; `None` when it is unknown or revoked.
pub async fn authenticate(db: &Db, secret: &str) -> Result<Option<Authenticated>, CoreError> {
    let hash = digest(secret);
    let found = db
        .read(move |c| {
            let Some(token) = oauth::live_token(c, &hash).optional()? else {
                return Ok(None);
            };
            let account = match token.account_id {
                Some(id) => Some(kith_storage::accounts::by_id(c, id)?),
                None => None,
            };
            Ok(Some((token, account)))
        })
        .await?;
    Ok(match found {
        Some((token, account)) => Some(Authenticated {
            scopes: Scopes::parse(&token.scopes)?,
            token,
            account,
        }),
        None => None,
    })
}
