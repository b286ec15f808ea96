//! Local accounts: creation with validated usernames, argon2 password hashes and RSA keys;
//! password checks; the instance actor.

use crate::types::ActorType;
use crate::{blocking, keys, CoreError, InstanceUrls};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use kith_storage::accounts::{self, Account};
use kith_storage::users::{self, User};
use kith_storage::{Db, OptionalExt, StorageError};
use std::fmt;
use std::str::FromStr;

/// What a local user may do on the instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Runs the instance.
    Admin,
    /// Handles reports and moderation.
    Moderator,
    /// Everyone else.
    User,
}

impl Role {
    /// The stored and displayed name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Moderator => "moderator",
            Role::User => "user",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Role, CoreError> {
        match s.to_ascii_lowercase().as_str() {
            "admin" => Ok(Role::Admin),
            "moderator" => Ok(Role::Moderator),
            "user" => Ok(Role::User),
            _ => Err(CoreError::Invalid(format!(
                "role must be admin, moderator or user, not {s:?}"
            ))),
        }
    }
}

/// What it takes to make a local user.
#[derive(Clone)]
pub struct NewLocalUser {
    /// The handle, `[A-Za-z0-9_]` with inner `.` and `-`, up to 30 characters.
    pub username: String,
    /// At least 8 characters.
    pub password: String,
    /// Optional contact address, unique when given.
    pub email: Option<String>,
    /// Admin, moderator or user.
    pub role: Role,
}

/// The longest username, as on Mastodon.
pub const MAX_USERNAME_LEN: usize = 30;
const MIN_PASSWORD_LEN: usize = 8;
const MAX_PASSWORD_LEN: usize = 1024;

/// Checks a username against Mastodon's rules: ASCII letters, digits and `_`, with `.` and `-`
/// allowed only between them, at most 30 characters.
pub fn validate_username(username: &str, urls: &InstanceUrls) -> Result<(), CoreError> {
    let invalid = |why: &str| CoreError::Invalid(format!("username {username:?} {why}"));
    if username.is_empty() {
        return Err(CoreError::Invalid("username must not be empty".into()));
    }
    if username.len() > MAX_USERNAME_LEN {
        return Err(invalid("is longer than 30 characters"));
    }
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    if !username.chars().all(|c| word(c) || c == '.' || c == '-') {
        return Err(invalid(
            "may only contain letters, digits, _ and inner . or -",
        ));
    }
    let (first, last) = (username.chars().next(), username.chars().last());
    if !first.is_some_and(word) || !last.is_some_and(word) {
        return Err(invalid("must start and end with a letter, digit or _"));
    }
    if username.eq_ignore_ascii_case(urls.instance_actor_username()) {
        return Err(invalid("is reserved for the instance actor"));
    }
    Ok(())
}

fn validate_email(email: &str) -> Result<(), CoreError> {
    let ok = email.len() <= 254
        && !email.chars().any(char::is_whitespace)
        && email
            .split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && !d.is_empty() && !d.contains('@'));
    if ok {
        Ok(())
    } else {
        Err(CoreError::Invalid(format!(
            "{email:?} is not an email address"
        )))
    }
}

fn validate_password(password: &str) -> Result<(), CoreError> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(CoreError::Invalid(
            "password must be at least 8 characters".into(),
        ));
    }
    if password.len() > MAX_PASSWORD_LEN {
        return Err(CoreError::Invalid("password is too long".into()));
    }
    Ok(())
}

/// Hashes a password with argon2id and a random salt (blocking, ~tens of ms).
pub fn hash_password(password: &str) -> Result<String, CoreError> {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| CoreError::Internal(format!("password hashing: {e}")))
}

fn password_matches(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A fresh local account row (keys included) for `username`, not yet stored.
fn new_local_account(
    urls: &InstanceUrls,
    username: &str,
    actor_type: ActorType,
    keys: keys::KeyPair,
) -> Account {
    let now = kith_storage::now();
    let (actor, inbox, profile) = if actor_type == ActorType::Application {
        (
            urls.instance_actor(),
            urls.instance_actor_inbox(),
            urls.base().clone(),
        )
    } else {
        (
            urls.actor(username),
            urls.inbox(username),
            urls.profile(username),
        )
    };
    let local_user = actor_type != ActorType::Application;
    Account {
        id: kith_storage::id::new_id(),
        username: username.to_owned(),
        domain: None,
        public_key_id: urls.key_id(&actor),
        ap_id: actor.to_string(),
        actor_type: actor_type.as_str().to_owned(),
        display_name: String::new(),
        note: String::new(),
        avatar_url: None,
        header_url: None,
        url: Some(profile.to_string()),
        locked: false,
        bot: !local_user,
        inbox_url: inbox.to_string(),
        shared_inbox_url: Some(urls.shared_inbox().to_string()),
        outbox_url: local_user.then(|| urls.outbox(username).to_string()),
        followers_url: local_user.then(|| urls.followers(username).to_string()),
        following_url: local_user.then(|| urls.following(username).to_string()),
        public_key_pem: keys.public_pem,
        private_key_pem: Some(keys.private_pem),
        created_at: now,
        updated_at: now,
        fetched_at: None,
        fields: "[]".into(),
    }
}

/// Creates a local user: validates everything first, then writes the account and its
/// credentials in one transaction, so a refusal leaves nothing behind.
pub async fn create_local_user(
    db: &Db,
    urls: &InstanceUrls,
    new: NewLocalUser,
) -> Result<Account, CoreError> {
    create_local_user_then(db, urls, new, |_, _| Ok(())).await
}

/// [`create_local_user`], running `then` on the new account in the same transaction (a sign-up
/// uses its invite and files its approval request there). `then` refusing with
/// `StorageError::Conflict("invite")` means the invite could not be used.
pub async fn create_local_user_then<F>(
    db: &Db,
    urls: &InstanceUrls,
    new: NewLocalUser,
    then: F,
) -> Result<Account, CoreError>
where
    F: FnOnce(&mut kith_storage::DbConn, &Account) -> Result<(), StorageError> + Send + 'static,
{
    validate_username(&new.username, urls)?;
    validate_password(&new.password)?;
    let email = match new.email.as_deref().map(str::trim) {
        Some("") | None => None,
        Some(e) => {
            validate_email(e)?;
            Some(e.to_lowercase())
        }
    };
    // Cheap checks before the expensive work, so a taken name answers at once.
    let (name, mail) = (new.username.clone(), email.clone());
    let taken = db
        .read(move |c| {
            if accounts::local_by_username(c, &name).optional()?.is_some() {
                return Ok(Some("username"));
            }
            if let Some(m) = mail {
                if users::by_email(c, &m).optional()?.is_some() {
                    return Ok(Some("email"));
                }
            }
            Ok(None)
        })
        .await?;
    if let Some(what) = taken {
        return Err(CoreError::Taken(what));
    }
    let password = new.password;
    let (hash, keys) =
        blocking(move || Ok((hash_password(&password)?, keys::generate_rsa_2048()?))).await?;
    let account = new_local_account(urls, &new.username, ActorType::Person, keys);
    let user = User {
        account_id: account.id,
        email,
        password_hash: hash,
        role: new.role.as_str().to_owned(),
        created_at: account.created_at,
        last_active_at: None,
    };
    let row = account.clone();
    db.write(move |c| {
        users::insert_with_account(c, &row, &user)?;
        then(c, &row)
    })
    .await
    .map_err(|e| match e {
        StorageError::Conflict(what) if what == "invite" => {
            CoreError::Invalid("the invite code is invalid, expired or used up".into())
        }
        // Lost a race with another creation of the same name or address.
        StorageError::Conflict(what) if what.contains("email") => CoreError::Taken("email"),
        StorageError::Conflict(_) => CoreError::Taken("username"),
        other => other.into(),
    })?;
    Ok(account)
}

/// Checks a password for a username or email address; the same error for an unknown name
/// and a wrong password, so the answer does not reveal which accounts exist.
pub async fn check_password(
    db: &Db,
    username_or_email: &str,
    password: &str,
) -> Result<Account, CoreError> {
    let who = username_or_email.trim().to_owned();
    let found = db
        .read(move |c| {
            if who.contains('@') {
                users::by_email(c, &who).optional()
            } else {
                users::by_username(c, &who).optional()
            }
        })
        .await?;
    let password = password.to_owned();
    match found {
        Some((user, account)) => {
            let ok = blocking(move || Ok(password_matches(&password, &user.password_hash))).await?;
            if ok {
                let id = account.id;
                if !db
                    .read(move |c| crate::moderation::may_sign_in(c, id))
                    .await?
                {
                    return Err(CoreError::Invalid(
                        "Your login is currently disabled".into(),
                    ));
                }
                Ok(account)
            } else {
                Err(CoreError::BadCredentials)
            }
        }
        None => {
            // Spend the same time as a real check.
            blocking(move || {
                let _ = hash_password(&password);
                Ok(())
            })
            .await?;
            Err(CoreError::BadCredentials)
        }
    }
}

/// The instance actor, made (with its keys) on first start. If the instance's domain or
/// scheme changed since (development setups do that), its URLs follow; its keys stay.
pub async fn ensure_instance_actor(db: &Db, urls: &InstanceUrls) -> Result<Account, CoreError> {
    if let Some(mut existing) = db.read(accounts::instance_actor).await? {
        let fresh = new_local_account(
            urls,
            urls.instance_actor_username(),
            ActorType::Application,
            keys::KeyPair {
                private_pem: String::new(),
                public_pem: String::new(),
            },
        );
        if existing.ap_id != fresh.ap_id {
            tracing::warn!(from = %existing.ap_id, to = %fresh.ap_id, "instance URL changed; moving the instance actor");
            existing.username = fresh.username;
            existing.ap_id = fresh.ap_id;
            existing.public_key_id = fresh.public_key_id;
            existing.inbox_url = fresh.inbox_url;
            existing.shared_inbox_url = fresh.shared_inbox_url;
            existing.url = fresh.url;
            existing.updated_at = fresh.updated_at;
            let row = existing.clone();
            db.write(move |c| accounts::update(c, &row)).await?;
        }
        return Ok(existing);
    }
    let keys = blocking(keys::generate_rsa_2048).await?;
    let account = new_local_account(
        urls,
        urls.instance_actor_username(),
        ActorType::Application,
        keys,
    );
    let row = account.clone();
    match db.write(move |c| accounts::insert(c, &row)).await {
        Ok(()) => Ok(account),
        // Another process made it first: use theirs.
        Err(StorageError::Conflict(_)) => db
            .read(accounts::instance_actor)
            .await?
            .ok_or(CoreError::NotFound),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_follow_mastodon_rules() {
        let urls = InstanceUrls::new("social.example", false).unwrap();
        for ok in ["ana", "Ana_B", "a.b-c", "_x_", "a1"] {
            assert!(validate_username(ok, &urls).is_ok(), "{ok} refused");
        }
        for bad in [
            "",
            ".ana",
            "ana-",
            "an a",
            "ana@x",
            "ü",
            &"a".repeat(31),
            "social.example",
        ] {
            assert!(validate_username(bad, &urls).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("correct horse").unwrap();
        assert!(password_matches("correct horse", &h));
        assert!(!password_matches("wrong horse", &h));
        assert!(validate_password("short").is_err());
    }
}
