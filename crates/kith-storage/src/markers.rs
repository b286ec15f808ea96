//! Markers: where an account stopped reading its home and notifications timelines, as
//! Mastodon keeps them so that several apps of one person agree.

use crate::pool::DbConn;
use crate::schema::markers;
use crate::StorageError;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// The timelines that have markers.
pub const TIMELINES: &[&str] = &["home", "notifications"];

/// One marker.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = markers)]
pub struct Marker {
    pub account_id: i64,
    pub timeline: String,
    pub last_read_id: i64,
    /// Counts the updates, starting at 1.
    pub version: i64,
    pub updated_at: NaiveDateTime,
}

/// An account's markers for these timelines (those it has set).
pub fn get(
    conn: &mut DbConn,
    account_id: i64,
    timelines: &[String],
) -> Result<Vec<Marker>, StorageError> {
    Ok(markers::table
        .filter(markers::account_id.eq(account_id))
        .filter(markers::timeline.eq_any(timelines))
        .select(Marker::as_select())
        .load(conn)?)
}

/// Sets a marker (one statement, so concurrent updates each count in `version`).
pub fn set(
    conn: &mut DbConn,
    account_id: i64,
    timeline: &str,
    last_read_id: i64,
) -> Result<(), StorageError> {
    let now = crate::now();
    let upsert = diesel::insert_into(markers::table)
        .values((
            markers::account_id.eq(account_id),
            markers::timeline.eq(timeline),
            markers::last_read_id.eq(last_read_id),
            markers::version.eq(1i64),
            markers::updated_at.eq(now),
        ))
        .on_conflict((markers::account_id, markers::timeline))
        .do_update()
        .set((
            markers::last_read_id.eq(last_read_id),
            markers::version.eq(markers::version + 1i64),
            markers::updated_at.eq(now),
        ));
    match conn {
        DbConn::Postgresql(pg) => upsert.execute(pg)?,
        DbConn::Sqlite(lite) => upsert.execute(lite)?,
    };
    Ok(())
}

/// The notifications marker's position, if set.
pub fn notifications_read_up_to(
    conn: &mut DbConn,
    account_id: i64,
) -> Result<Option<i64>, StorageError> {
    Ok(markers::table
        .filter(markers::account_id.eq(account_id))
        .filter(markers::timeline.eq("notifications"))
        .select(markers::last_read_id)
        .first(conn)
        .optional()?)
}
