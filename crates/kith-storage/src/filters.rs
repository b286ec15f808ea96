//! Filters (Mastodon's custom filters, v2): a person's filters with their keywords and the
//! statuses they name. What they match and do is decided in `kith_core::filters`.

use crate::pool::DbConn;
use crate::schema::{filter_keywords, filter_statuses, filters};
use crate::StorageError;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// One filter row.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = filters)]
pub struct Filter {
    pub id: i64,
    pub account_id: i64,
    pub title: String,
    /// The contexts, comma-separated (`home,public`).
    pub context: String,
    /// `warn`, `hide` or `blur`.
    pub filter_action: String,
    /// When it stops applying; `None` for never.
    pub expires_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

/// A keyword of a filter.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = filter_keywords)]
pub struct Keyword {
    pub id: i64,
    pub filter_id: i64,
    pub keyword: String,
    pub whole_word: bool,
}

/// A status a filter names.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = filter_statuses)]
pub struct FilterStatus {
    pub id: i64,
    pub filter_id: i64,
    pub status_id: i64,
}

/// Stores a new filter.
pub fn insert(conn: &mut DbConn, filter: &Filter) -> Result<(), StorageError> {
    diesel::insert_into(filters::table)
        .values(filter)
        .execute(conn)?;
    Ok(())
}

/// Replaces a filter's title, contexts, action and expiry.
pub fn update(conn: &mut DbConn, filter: &Filter) -> Result<(), StorageError> {
    diesel::update(filters::table.find(filter.id))
        .set((
            filters::title.eq(&filter.title),
            filters::context.eq(&filter.context),
            filters::filter_action.eq(&filter.filter_action),
            filters::expires_at.eq(filter.expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Deletes a filter with its keywords and statuses.
pub fn delete(conn: &mut DbConn, id: i64) -> Result<(), StorageError> {
    diesel::delete(filters::table.find(id)).execute(conn)?;
    Ok(())
}

/// How many filters `owner` has.
pub fn count_of(conn: &mut DbConn, owner: i64) -> Result<i64, StorageError> {
    Ok(filters::table
        .filter(filters::account_id.eq(owner))
        .count()
        .get_result(conn)?)
}

/// `owner`'s filters, oldest first, expired ones included.
pub fn of_owner(conn: &mut DbConn, owner: i64) -> Result<Vec<Filter>, StorageError> {
    Ok(filters::table
        .filter(filters::account_id.eq(owner))
        .order(filters::id.asc())
        .select(Filter::as_select())
        .load(conn)?)
}

/// `owner`'s filters that have not expired at `now`.
pub fn active_of(
    conn: &mut DbConn,
    owner: i64,
    now: NaiveDateTime,
) -> Result<Vec<Filter>, StorageError> {
    Ok(filters::table
        .filter(filters::account_id.eq(owner))
        .filter(
            filters::expires_at
                .is_null()
                .or(filters::expires_at.gt(now)),
        )
        .order(filters::id.asc())
        .select(Filter::as_select())
        .load(conn)?)
}

/// The filter `id` if `owner` owns it.
pub fn owned(conn: &mut DbConn, id: i64, owner: i64) -> Result<Option<Filter>, StorageError> {
    Ok(filters::table
        .filter(filters::id.eq(id))
        .filter(filters::account_id.eq(owner))
        .select(Filter::as_select())
        .first(conn)
        .optional()?)
}

/// The keywords of these filters, in the order they were added.
pub fn keywords_of(conn: &mut DbConn, filter_ids: &[i64]) -> Result<Vec<Keyword>, StorageError> {
    Ok(filter_keywords::table
        .filter(filter_keywords::filter_id.eq_any(filter_ids))
        .order(filter_keywords::id.asc())
        .select(Keyword::as_select())
        .load(conn)?)
}

/// The statuses these filters name, in the order they were added.
pub fn statuses_of(
    conn: &mut DbConn,
    filter_ids: &[i64],
) -> Result<Vec<FilterStatus>, StorageError> {
    Ok(filter_statuses::table
        .filter(filter_statuses::filter_id.eq_any(filter_ids))
        .order(filter_statuses::id.asc())
        .select(FilterStatus::as_select())
        .load(conn)?)
}

/// Stores a keyword.
pub fn insert_keyword(conn: &mut DbConn, keyword: &Keyword) -> Result<(), StorageError> {
    diesel::insert_into(filter_keywords::table)
        .values(keyword)
        .execute(conn)?;
    Ok(())
}

/// Replaces a keyword's text and whole-word flag.
pub fn update_keyword(conn: &mut DbConn, keyword: &Keyword) -> Result<(), StorageError> {
    diesel::update(filter_keywords::table.find(keyword.id))
        .set((
            filter_keywords::keyword.eq(&keyword.keyword),
            filter_keywords::whole_word.eq(keyword.whole_word),
        ))
        .execute(conn)?;
    Ok(())
}

/// Deletes a filter's keywords with these ids (others' are left alone).
pub fn delete_keywords(conn: &mut DbConn, filter_id: i64, ids: &[i64]) -> Result<(), StorageError> {
    diesel::delete(
        filter_keywords::table
            .filter(filter_keywords::filter_id.eq(filter_id))
            .filter(filter_keywords::id.eq_any(ids)),
    )
    .execute(conn)?;
    Ok(())
}

/// Deletes all of a filter's keywords.
pub fn delete_all_keywords(conn: &mut DbConn, filter_id: i64) -> Result<(), StorageError> {
    diesel::delete(filter_keywords::table.filter(filter_keywords::filter_id.eq(filter_id)))
        .execute(conn)?;
    Ok(())
}

/// How many keywords a filter has.
pub fn count_keywords(conn: &mut DbConn, filter_id: i64) -> Result<i64, StorageError> {
    Ok(filter_keywords::table
        .filter(filter_keywords::filter_id.eq(filter_id))
        .count()
        .get_result(conn)?)
}

/// The keyword `id` with its filter, if `owner` owns that filter.
pub fn keyword_owned(
    conn: &mut DbConn,
    id: i64,
    owner: i64,
) -> Result<Option<(Keyword, Filter)>, StorageError> {
    Ok(filter_keywords::table
        .inner_join(filters::table)
        .filter(filter_keywords::id.eq(id))
        .filter(filters::account_id.eq(owner))
        .select((Keyword::as_select(), Filter::as_select()))
        .first(conn)
        .optional()?)
}

/// Adds a status to a filter; nothing if it is there already. Returns the row (the new one,
/// or the one already there).
pub fn insert_status(
    conn: &mut DbConn,
    filter_id: i64,
    status_id: i64,
) -> Result<FilterStatus, StorageError> {
    let existing = filter_statuses::table
        .filter(filter_statuses::filter_id.eq(filter_id))
        .filter(filter_statuses::status_id.eq(status_id))
        .select(FilterStatus::as_select())
        .first(conn)
        .optional()?;
    if let Some(row) = existing {
        return Ok(row);
    }
    let row = FilterStatus {
        id: crate::id::new_id(),
        filter_id,
        status_id,
    };
    diesel::insert_into(filter_statuses::table)
        .values(&row)
        .execute(conn)?;
    Ok(row)
}

/// How many statuses a filter names.
pub fn count_statuses(conn: &mut DbConn, filter_id: i64) -> Result<i64, StorageError> {
    Ok(filter_statuses::table
        .filter(filter_statuses::filter_id.eq(filter_id))
        .count()
        .get_result(conn)?)
}

/// The filter status `id` with its filter, if `owner` owns that filter.
pub fn status_owned(
    conn: &mut DbConn,
    id: i64,
    owner: i64,
) -> Result<Option<(FilterStatus, Filter)>, StorageError> {
    Ok(filter_statuses::table
        .inner_join(filters::table)
        .filter(filter_statuses::id.eq(id))
        .filter(filters::account_id.eq(owner))
        .select((FilterStatus::as_select(), Filter::as_select()))
        .first(conn)
        .optional()?)
}

/// Deletes a filter status.
pub fn delete_status(conn: &mut DbConn, id: i64) -> Result<(), StorageError> {
    diesel::delete(filter_statuses::table.find(id)).execute(conn)?;
    Ok(())
}
