//! Other servers' custom emoji: one row per domain and shortcode (the image kept by URL), and
//! which remote statuses and accounts use which. Local emoji live apart, in `custom_emojis`:
//! nothing here can touch them.

use crate::pool::DbConn;
use crate::schema::{account_emojis, remote_emojis, status_emojis};
use crate::StorageError;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use std::collections::HashMap;

/// One remote custom emoji.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = remote_emojis)]
pub struct RemoteEmoji {
    pub id: i64,
    /// The domain of the account whose post or profile named it.
    pub domain: String,
    pub shortcode: String,
    /// Its `Emoji` object's id, if it had one.
    pub ap_id: Option<String>,
    /// Where its image is (shown by URL).
    pub image_url: String,
    pub media_type: Option<String>,
    /// Its `updated`, else when it was first seen.
    pub updated_at: NaiveDateTime,
}

/// Stores these emoji of `domain` and returns their ids, in order. A known domain and
/// shortcode takes the new image unless what it has is newer (an old post delivered late does
/// not bring back an old image), as Mastodon does.
pub fn upsert(
    conn: &mut DbConn,
    domain: &str,
    emojis: &[RemoteEmoji],
) -> Result<Vec<i64>, StorageError> {
    let mut ids = Vec::with_capacity(emojis.len());
    for e in emojis {
        let row = RemoteEmoji {
            domain: domain.to_owned(),
            ..e.clone()
        };
        let known = remote_emojis::table
            .filter(remote_emojis::domain.eq(domain))
            .filter(remote_emojis::shortcode.eq(&row.shortcode))
            .select((remote_emojis::id, remote_emojis::updated_at))
            .first::<(i64, NaiveDateTime)>(conn)
            .optional()?;
        if let Some((id, updated_at)) = known {
            if updated_at > row.updated_at {
                ids.push(id);
                continue;
            }
        }
        let insert = diesel::insert_into(remote_emojis::table)
            .values(&row)
            .on_conflict((remote_emojis::domain, remote_emojis::shortcode))
            .do_update()
            .set((
                remote_emojis::ap_id.eq(&row.ap_id),
                remote_emojis::image_url.eq(&row.image_url),
                remote_emojis::media_type.eq(&row.media_type),
                remote_emojis::updated_at.eq(row.updated_at),
            ));
        match conn {
            DbConn::Postgresql(pg) => insert.execute(pg)?,
            DbConn::Sqlite(lite) => insert.execute(lite)?,
        };
        ids.push(
            remote_emojis::table
                .filter(remote_emojis::domain.eq(domain))
                .filter(remote_emojis::shortcode.eq(&row.shortcode))
                .select(remote_emojis::id)
                .first(conn)?,
        );
    }
    Ok(ids)
}

/// Makes `emoji_ids` the emoji of status `status_id` (replacing those it had).
pub fn set_for_status(
    conn: &mut DbConn,
    status_id: i64,
    emoji_ids: &[i64],
) -> Result<(), StorageError> {
    diesel::delete(status_emojis::table.filter(status_emojis::status_id.eq(status_id)))
        .execute(conn)?;
    // One row at a time: batch inserts do not compile on the two-backend connection (and
    // there are at most `MAX_EMOJIS`).
    for e in unique(emoji_ids) {
        diesel::insert_into(status_emojis::table)
            .values((
                status_emojis::status_id.eq(status_id),
                status_emojis::emoji_id.eq(e),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Makes `emoji_ids` the emoji of account `account_id` (replacing those it had).
pub fn set_for_account(
    conn: &mut DbConn,
    account_id: i64,
    emoji_ids: &[i64],
) -> Result<(), StorageError> {
    diesel::delete(account_emojis::table.filter(account_emojis::account_id.eq(account_id)))
        .execute(conn)?;
    // One row at a time: batch inserts do not compile on the two-backend connection (and
    // there are at most `MAX_EMOJIS`).
    for e in unique(emoji_ids) {
        diesel::insert_into(account_emojis::table)
            .values((
                account_emojis::account_id.eq(account_id),
                account_emojis::emoji_id.eq(e),
            ))
            .execute(conn)?;
    }
    Ok(())
}

fn unique(ids: &[i64]) -> Vec<i64> {
    let mut out: Vec<i64> = Vec::with_capacity(ids.len());
    for id in ids {
        if !out.contains(id) {
            out.push(*id);
        }
    }
    out
}

/// The emoji of these statuses, by status (two queries for the whole set).
pub fn of_statuses(
    conn: &mut DbConn,
    status_ids: &[i64],
) -> Result<HashMap<i64, Vec<RemoteEmoji>>, StorageError> {
    if status_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let links: Vec<(i64, i64)> = status_emojis::table
        .filter(status_emojis::status_id.eq_any(status_ids))
        .select((status_emojis::status_id, status_emojis::emoji_id))
        .load(conn)?;
    group(conn, links)
}

/// The emoji of these accounts, by account (two queries for the whole set).
pub fn of_accounts(
    conn: &mut DbConn,
    account_ids: &[i64],
) -> Result<HashMap<i64, Vec<RemoteEmoji>>, StorageError> {
    if account_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let links: Vec<(i64, i64)> = account_emojis::table
        .filter(account_emojis::account_id.eq_any(account_ids))
        .select((account_emojis::account_id, account_emojis::emoji_id))
        .load(conn)?;
    group(conn, links)
}

fn group(
    conn: &mut DbConn,
    links: Vec<(i64, i64)>,
) -> Result<HashMap<i64, Vec<RemoteEmoji>>, StorageError> {
    let mut emoji_ids: Vec<i64> = links.iter().map(|(_, e)| *e).collect();
    emoji_ids.sort_unstable();
    emoji_ids.dedup();
    let mut found: HashMap<i64, RemoteEmoji> = HashMap::new();
    for chunk in emoji_ids.chunks(500) {
        for e in remote_emojis::table
            .filter(remote_emojis::id.eq_any(chunk))
            .select(RemoteEmoji::as_select())
            .load(conn)?
        {
            found.insert(e.id, e);
        }
    }
    let mut out: HashMap<i64, Vec<RemoteEmoji>> = HashMap::new();
    for (owner, emoji) in links {
        if let Some(e) = found.get(&emoji) {
            out.entry(owner).or_default().push(e.clone());
        }
    }
    for list in out.values_mut() {
        list.sort_by(|a, b| a.shortcode.cmp(&b.shortcode));
    }
    Ok(out)
}

/// The emoji of `domain` with this shortcode.
pub fn by_domain_and_shortcode(
    conn: &mut DbConn,
    domain: &str,
    shortcode: &str,
) -> Result<RemoteEmoji, StorageError> {
    Ok(remote_emojis::table
        .filter(remote_emojis::domain.eq(domain))
        .filter(remote_emojis::shortcode.eq(shortcode))
        .select(RemoteEmoji::as_select())
        .first(conn)?)
}

/// Forgets the emoji of `domain`, its subdomains and any port (with what used them): a
/// suspension or `reject_media` drops them as it drops avatars. Returns how many went.
pub fn forget_domain(conn: &mut DbConn, domain: &str) -> Result<usize, StorageError> {
    Ok(diesel::delete(
        remote_emojis::table.filter(
            remote_emojis::domain
                .eq(domain)
                .or(remote_emojis::domain.like(format!("%.{domain}")))
                .or(remote_emojis::domain.like(format!("{domain}:%")))
                .or(remote_emojis::domain.like(format!("%.{domain}:%"))),
        ),
    )
    .execute(conn)?)
}
