//! Account rows: local people, the instance actor, and remote actors we have seen.

use crate::pool::DbConn;
use crate::schema::{account_stats, accounts};
use crate::StorageError;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// One actor. `domain` is `None` for accounts hosted on this instance.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Insertable, AsChangeset)]
#[diesel(table_name = accounts)]
#[diesel(treat_none_as_null = true)]
pub struct Account {
    pub id: i64,
    pub username: String,
    pub domain: Option<String>,
    pub ap_id: String,
    pub actor_type: String,
    pub display_name: String,
    pub note: String,
    pub avatar_url: Option<String>,
    pub header_url: Option<String>,
    pub url: Option<String>,
    pub locked: bool,
    pub bot: bool,
    pub inbox_url: String,
    pub shared_inbox_url: Option<String>,
    pub outbox_url: Option<String>,
    pub followers_url: Option<String>,
    pub following_url: Option<String>,
    pub public_key_id: String,
    pub public_key_pem: String,
    pub private_key_pem: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub fetched_at: Option<NaiveDateTime>,
    /// Profile fields, JSON as [`encode_fields`] writes it (`[]` for none).
    pub fields: String,
}

impl Account {
    /// Whether this account is hosted here.
    pub fn is_local(&self) -> bool {
        self.domain.is_none()
    }

    /// `username` for local accounts, `username@domain` for remote ones (Mastodon's `acct`).
    pub fn acct(&self) -> String {
        match &self.domain {
            None => self.username.clone(),
            Some(d) => format!("{}@{}", self.username, d),
        }
    }
}

/// The fields a profile edit may change.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = accounts)]
pub struct ProfileChanges {
    pub display_name: Option<String>,
    pub note: Option<String>,
    pub avatar_url: Option<Option<String>>,
    pub header_url: Option<Option<String>>,
    pub locked: Option<bool>,
    pub bot: Option<bool>,
    pub updated_at: Option<NaiveDateTime>,
    /// Profile fields, as [`encode_fields`] writes them.
    pub fields: Option<String>,
}

/// One profile field as stored: `name` is plain text, `value` HTML (sanitized, or made here
/// from what a local owner typed, which `raw` keeps).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredField {
    pub name: String,
    pub value: String,
    pub raw: Option<String>,
    pub verified_at: Option<String>,
}

/// The `fields` column for these fields.
pub fn encode_fields(fields: &[StoredField]) -> String {
    let items: Vec<serde_json::Value> = fields
        .iter()
        .map(|f| {
            let mut item = serde_json::Map::new();
            item.insert("name".into(), f.name.clone().into());
            item.insert("value".into(), f.value.clone().into());
            if let Some(raw) = &f.raw {
                item.insert("raw".into(), raw.clone().into());
            }
            if let Some(at) = &f.verified_at {
                item.insert("verified_at".into(), at.clone().into());
            }
            serde_json::Value::Object(item)
        })
        .collect();
    serde_json::Value::Array(items).to_string()
}

/// The fields a `fields` column holds; anything unreadable reads as none.
pub fn decode_fields(column: &str) -> Vec<StoredField> {
    let Ok(serde_json::Value::Array(items)) = serde_json::from_str(column) else {
        return Vec::new();
    };
    let text = |item: &serde_json::Value, key: &str| {
        item.get(key)
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
    };
    items
        .iter()
        .filter_map(|item| {
            Some(StoredField {
                name: text(item, "name")?,
                value: text(item, "value")?,
                raw: text(item, "raw"),
                verified_at: text(item, "verified_at"),
            })
        })
        .collect()
}

impl Account {
    /// This account's profile fields.
    pub fn profile_fields(&self) -> Vec<StoredField> {
        decode_fields(&self.fields)
    }
}

/// Inserts a new account.
pub fn insert(conn: &mut DbConn, account: &Account) -> Result<(), StorageError> {
    diesel::insert_into(accounts::table)
        .values(account)
        .execute(conn)?;
    Ok(())
}

/// Replaces every column of an existing account (used when a remote actor is refetched).
pub fn update(conn: &mut DbConn, account: &Account) -> Result<(), StorageError> {
    diesel::update(accounts::table.find(account.id))
        .set(account)
        .execute(conn)?;
    Ok(())
}

/// Applies a profile edit and returns the updated row.
pub fn update_profile(
    conn: &mut DbConn,
    id: i64,
    changes: &ProfileChanges,
) -> Result<Account, StorageError> {
    diesel::update(accounts::table.find(id))
        .set(changes)
        .execute(conn)?;
    by_id(conn, id)
}

/// Deletes an account and, through the foreign keys, everything it made or did here.
pub fn delete(conn: &mut DbConn, id: i64) -> Result<(), StorageError> {
    diesel::delete(accounts::table.find(id)).execute(conn)?;
    Ok(())
}

/// The account with this id.
pub fn by_id(conn: &mut DbConn, id: i64) -> Result<Account, StorageError> {
    Ok(accounts::table
        .find(id)
        .select(Account::as_select())
        .first(conn)?)
}

/// The account whose ActivityPub id is `ap_id`.
pub fn by_ap_id(conn: &mut DbConn, ap_id: &str) -> Result<Account, StorageError> {
    Ok(accounts::table
        .filter(accounts::ap_id.eq(ap_id))
        .select(Account::as_select())
        .first(conn)?)
}

/// The account whose key has this id (`…#main-key`), for signature checks.
pub fn by_key_id(conn: &mut DbConn, key_id: &str) -> Result<Account, StorageError> {
    Ok(accounts::table
        .filter(accounts::public_key_id.eq(key_id))
        .select(Account::as_select())
        .first(conn)?)
}

/// A local account by username, case-insensitively as Mastodon does.
pub fn local_by_username(conn: &mut DbConn, username: &str) -> Result<Account, StorageError> {
    Ok(accounts::table
        .filter(accounts::domain.is_null())
        .filter(lower(accounts::username).eq(username.to_lowercase()))
        .select(Account::as_select())
        .first(conn)?)
}

/// A remote account by `username` and `domain`, case-insensitively on the username.
pub fn remote_by_username(
    conn: &mut DbConn,
    username: &str,
    domain: &str,
) -> Result<Account, StorageError> {
    Ok(accounts::table
        .filter(accounts::domain.eq(domain.to_lowercase()))
        .filter(lower(accounts::username).eq(username.to_lowercase()))
        .select(Account::as_select())
        .first(conn)?)
}

/// The instance actor (the local `Application`), if made yet.
pub fn instance_actor(conn: &mut DbConn) -> Result<Option<Account>, StorageError> {
    Ok(accounts::table
        .filter(accounts::domain.is_null())
        .filter(accounts::actor_type.eq("Application"))
        .select(Account::as_select())
        .first(conn)
        .optional()?)
}

/// The number of local people (not counting the instance actor).
pub fn count_local_people(conn: &mut DbConn) -> Result<i64, StorageError> {
    Ok(accounts::table
        .inner_join(crate::schema::users::table)
        .filter(accounts::domain.is_null())
        .count()
        .get_result(conn)?)
}

/// The ActivityPub id of the oldest local account (people or the instance actor), if any.
pub fn oldest_local_ap_id(conn: &mut DbConn) -> Result<Option<String>, StorageError> {
    Ok(accounts::table
        .filter(accounts::domain.is_null())
        .order(accounts::id.asc())
        .select(accounts::ap_id)
        .first(conn)
        .optional()?)
}

/// How many other instances we know accounts on.
pub fn count_known_domains(conn: &mut DbConn) -> Result<i64, StorageError> {
    Ok(accounts::table
        .filter(accounts::domain.is_not_null())
        .select(diesel::dsl::count(accounts::domain).aggregate_distinct())
        .get_result(conn)?)
}

diesel::define_sql_function! {
    /// SQL `lower()`, available on both backends.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// The counters shown on an account, kept by database triggers on every write.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = account_stats)]
pub struct Stats {
    pub account_id: i64,
    /// Posts, not boosts.
    pub statuses_count: i64,
    /// Accepted follows of this account.
    pub followers_count: i64,
    /// Accepted follows by this account.
    pub following_count: i64,
    /// The newest post or boost.
    pub last_status_at: Option<NaiveDateTime>,
}

/// The counters of one account (zeros if it has none yet).
pub fn stats(conn: &mut DbConn, account_id: i64) -> Result<Stats, StorageError> {
    Ok(account_stats::table
        .find(account_id)
        .select(Stats::as_select())
        .first(conn)
        .optional()?
        .unwrap_or(Stats {
            account_id,
            ..Stats::default()
        }))
}

/// The counters of several accounts, in no particular order (accounts without any are left out).
pub fn stats_of(conn: &mut DbConn, ids: &[i64]) -> Result<Vec<Stats>, StorageError> {
    Ok(account_stats::table
        .filter(account_stats::account_id.eq_any(ids))
        .select(Stats::as_select())
        .load(conn)?)
}

/// Several accounts by id with their counters, in one query, in no particular order.
pub fn with_stats_by_ids(
    conn: &mut DbConn,
    ids: &[i64],
) -> Result<Vec<(Account, Option<Stats>)>, StorageError> {
    Ok(accounts::table
        .left_join(account_stats::table)
        .filter(accounts::id.eq_any(ids))
        .select((Account::as_select(), Option::<Stats>::as_select()))
        .load(conn)?)
}

/// The accounts among these ActivityPub ids that are stored, in no particular order.
pub fn by_ap_ids(conn: &mut DbConn, ap_ids: &[String]) -> Result<Vec<Account>, StorageError> {
    if ap_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(accounts::table
        .filter(accounts::ap_id.eq_any(ap_ids))
        .select(Account::as_select())
        .load(conn)?)
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
fn like_escaped(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// What an account search looks for.
#[derive(Debug, Clone, Default)]
pub struct AccountSearch {
    /// Start of the username, or (without `domain`) of the username or part of the display name.
    pub name: String,
    /// Start of the domain (`name@dom…`); `Some("")` never matches local accounts.
    pub domain: Option<String>,
    /// Only accounts this account follows.
    pub followed_by: Option<i64>,
    pub limit: i64,
    pub offset: i64,
}

/// Local and known remote accounts matching a search, case-insensitively, local ones first and
/// then by username; never the instance actor.
pub fn search(conn: &mut DbConn, s: &AccountSearch) -> Result<Vec<Account>, StorageError> {
    use crate::schema::follows;
    let name = format!("{}%", like_escaped(&s.name));
    let mut q = accounts::table
        .filter(
            accounts::actor_type
                .ne("Application")
                .or(accounts::domain.is_not_null()),
        )
        .into_boxed();
    match &s.domain {
        Some(domain) => {
            q = q
                .filter(lower(accounts::username).like(name).escape('\\'))
                .filter(
                    lower(accounts::domain.assume_not_null())
                        .like(format!("{}%", like_escaped(domain)))
                        .escape('\\'),
                );
        }
        None => {
            let anywhere = format!("%{}%", like_escaped(&s.name));
            q = q.filter(
                lower(accounts::username)
                    .like(name)
                    .escape('\\')
                    .or(lower(accounts::display_name).like(anywhere).escape('\\')),
            );
        }
    }
    if let Some(viewer) = s.followed_by {
        let followed = follows::table
            .filter(follows::account_id.eq(viewer))
            .filter(follows::accepted.eq(true))
            .select(follows::target_account_id);
        q = q.filter(accounts::id.eq_any(followed));
    }
    Ok(q.order((
        accounts::domain.is_not_null(),
        accounts::username.asc(),
        accounts::id.asc(),
    ))
    .limit(s.limit.clamp(1, 80))
    .offset(s.offset.max(0))
    .select(Account::as_select())
    .load(conn)?)
}

/// Every other instance we know accounts on, sorted.
pub fn known_domains(conn: &mut DbConn) -> Result<Vec<String>, StorageError> {
    let domains: Vec<Option<String>> = accounts::table
        .filter(accounts::domain.is_not_null())
        .select(accounts::domain)
        .distinct()
        .order(accounts::domain.asc())
        .load(conn)?;
    Ok(domains.into_iter().flatten().collect())
}
