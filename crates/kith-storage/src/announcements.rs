//! Announcements (written by admins), who dismissed them, and people's emoji reactions.

use crate::pool::DbConn;
use crate::schema::{announcement_reactions, announcement_reads, announcements};
use crate::StorageError;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// One announcement.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = announcements)]
pub struct Announcement {
    pub id: i64,
    /// What the admin wrote.
    pub text: String,
    /// Its HTML.
    pub content: String,
    pub starts_at: Option<NaiveDateTime>,
    pub ends_at: Option<NaiveDateTime>,
    pub all_day: bool,
    pub published_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Stores a new announcement.
pub fn insert(conn: &mut DbConn, a: &Announcement) -> Result<(), StorageError> {
    diesel::insert_into(announcements::table)
        .values(a)
        .execute(conn)?;
    Ok(())
}

/// Deletes an announcement (with its reads and reactions); whether there was one.
pub fn delete(conn: &mut DbConn, id: i64) -> Result<bool, StorageError> {
    Ok(diesel::delete(announcements::table.find(id)).execute(conn)? > 0)
}

/// Every announcement, newest first.
pub fn all(conn: &mut DbConn) -> Result<Vec<Announcement>, StorageError> {
    Ok(announcements::table
        .order(announcements::id.desc())
        .select(Announcement::as_select())
        .load(conn)?)
}

/// The announcements showing at `now` (started, or with no start, and not ended), newest
/// first.
pub fn current(conn: &mut DbConn, now: NaiveDateTime) -> Result<Vec<Announcement>, StorageError> {
    Ok(announcements::table
        .filter(
            announcements::starts_at
                .is_null()
                .or(announcements::starts_at.le(now)),
        )
        .filter(
            announcements::ends_at
                .is_null()
                .or(announcements::ends_at.gt(now)),
        )
        .order(announcements::id.desc())
        .select(Announcement::as_select())
        .load(conn)?)
}

/// The announcement with this id, showing at `now`.
pub fn current_by_id(
    conn: &mut DbConn,
    id: i64,
    now: NaiveDateTime,
) -> Result<Option<Announcement>, StorageError> {
    Ok(current(conn, now)?.into_iter().find(|a| a.id == id))
}

/// Marks an announcement read by `account_id` (nothing if it is already).
pub fn dismiss(conn: &mut DbConn, id: i64, account_id: i64) -> Result<(), StorageError> {
    let insert = diesel::insert_into(announcement_reads::table)
        .values((
            announcement_reads::announcement_id.eq(id),
            announcement_reads::account_id.eq(account_id),
        ))
        .on_conflict_do_nothing();
    match conn {
        DbConn::Postgresql(pg) => insert.execute(pg)?,
        DbConn::Sqlite(lite) => insert.execute(lite)?,
    };
    Ok(())
}

/// Which of these announcements `account_id` has dismissed.
pub fn read_among(
    conn: &mut DbConn,
    account_id: i64,
    ids: &[i64],
) -> Result<Vec<i64>, StorageError> {
    Ok(announcement_reads::table
        .filter(announcement_reads::account_id.eq(account_id))
        .filter(announcement_reads::announcement_id.eq_any(ids))
        .select(announcement_reads::announcement_id)
        .load(conn)?)
}

/// Adds `account_id`'s reaction `name` (nothing if it is there already).
pub fn react(conn: &mut DbConn, id: i64, account_id: i64, name: &str) -> Result<(), StorageError> {
    let insert = diesel::insert_into(announcement_reactions::table)
        .values((
            announcement_reactions::announcement_id.eq(id),
            announcement_reactions::account_id.eq(account_id),
            announcement_reactions::name.eq(name),
            announcement_reactions::created_at.eq(crate::now()),
        ))
        .on_conflict_do_nothing();
    let added = match conn {
        DbConn::Postgresql(pg) => insert.execute(pg)?,
        DbConn::Sqlite(lite) => insert.execute(lite)?,
    };
    if added > 0 {
        reaction_changed(conn, id, name)?;
    }
    Ok(())
}

fn reaction_changed(conn: &mut DbConn, id: i64, name: &str) -> Result<(), StorageError> {
    let event = crate::stream_events::Event::AnnouncementReaction {
        id,
        name: name.to_owned(),
    };
    crate::stream_events::record(conn, event)
}

/// How many people reacted to an announcement with `name`.
pub fn count_reactions_named(conn: &mut DbConn, id: i64, name: &str) -> Result<i64, StorageError> {
    Ok(announcement_reactions::table
        .filter(announcement_reactions::announcement_id.eq(id))
        .filter(announcement_reactions::name.eq(name))
        .count()
        .get_result(conn)?)
}

/// Removes `account_id`'s reaction `name`, if there is one.
pub fn unreact(
    conn: &mut DbConn,
    id: i64,
    account_id: i64,
    name: &str,
) -> Result<(), StorageError> {
    let removed = diesel::delete(
        announcement_reactions::table
            .filter(announcement_reactions::announcement_id.eq(id))
            .filter(announcement_reactions::account_id.eq(account_id))
            .filter(announcement_reactions::name.eq(name)),
    )
    .execute(conn)?;
    if removed > 0 {
        reaction_changed(conn, id, name)?;
    }
    Ok(())
}

/// How many reactions `account_id` has on one announcement.
pub fn count_reactions_by(
    conn: &mut DbConn,
    id: i64,
    account_id: i64,
) -> Result<i64, StorageError> {
    Ok(announcement_reactions::table
        .filter(announcement_reactions::announcement_id.eq(id))
        .filter(announcement_reactions::account_id.eq(account_id))
        .count()
        .get_result(conn)?)
}

/// The reactions to these announcements as (announcement, name, count, whether `viewer` is
/// among them), in the order each name was first used.
pub fn reactions_of(
    conn: &mut DbConn,
    ids: &[i64],
    viewer: i64,
) -> Result<Vec<(i64, String, i64, bool)>, StorageError> {
    let rows: Vec<(i64, String, i64, NaiveDateTime)> = announcement_reactions::table
        .filter(announcement_reactions::announcement_id.eq_any(ids))
        .select((
            announcement_reactions::announcement_id,
            announcement_reactions::name,
            announcement_reactions::account_id,
            announcement_reactions::created_at,
        ))
        .order(announcement_reactions::created_at.asc())
        .load(conn)?;
    let mut out: Vec<(i64, String, i64, bool)> = Vec::new();
    for (id, name, account, _) in rows {
        match out.iter_mut().find(|(i, n, _, _)| *i == id && *n == name) {
            Some(entry) => {
                entry.2 += 1;
                entry.3 |= account == viewer;
            }
            None => out.push((id, name, 1, account == viewer)),
        }
    }
    Ok(out)
}
