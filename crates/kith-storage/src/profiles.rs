//! What a person keeps about their profile and about others: private notes on accounts,
//! endorsements ("feature on profile", each hanging on the endorser's follow), featured
//! hashtags, and posting/reading preferences. The rules (caps, who may be endorsed) are
//! `kith_core::profile`'s.

use crate::accounts::Account;
use crate::pool::DbConn;
use crate::schema::{
    account_notes, account_preferences, accounts, endorsements, featured_tags, status_tags,
    statuses,
};
use crate::statuses::Page;
use crate::StorageError;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// `me`'s note on `target`, if any.
pub fn note_of(conn: &mut DbConn, me: i64, target: i64) -> Result<Option<String>, StorageError> {
    Ok(account_notes::table
        .find((me, target))
        .select(account_notes::comment)
        .first(conn)
        .optional()?)
}

/// Sets `me`'s note on `target`; an empty comment removes it.
pub fn set_note(
    conn: &mut DbConn,
    me: i64,
    target: i64,
    comment: &str,
) -> Result<(), StorageError> {
    diesel::delete(account_notes::table.find((me, target))).execute(conn)?;
    if !comment.is_empty() {
        diesel::insert_into(account_notes::table)
            .values((
                account_notes::account_id.eq(me),
                account_notes::target_account_id.eq(target),
                account_notes::comment.eq(comment),
                account_notes::updated_at.eq(crate::now()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Whether `me` endorses `target`.
pub fn endorses(conn: &mut DbConn, me: i64, target: i64) -> Result<bool, StorageError> {
    Ok(diesel::select(diesel::dsl::exists(
        endorsements::table
            .filter(endorsements::account_id.eq(me))
            .filter(endorsements::target_account_id.eq(target)),
    ))
    .get_result(conn)?)
}

/// Records that `me` endorses `target` through `me`'s follow `follow_id`; an existing
/// endorsement is kept.
pub fn endorse(
    conn: &mut DbConn,
    me: i64,
    target: i64,
    follow_id: i64,
) -> Result<(), StorageError> {
    if endorses(conn, me, target)? {
        return Ok(());
    }
    let insert = diesel::insert_into(endorsements::table)
        .values((
            endorsements::id.eq(crate::id::new_id()),
            endorsements::account_id.eq(me),
            endorsements::target_account_id.eq(target),
            endorsements::follow_id.eq(follow_id),
            endorsements::created_at.eq(crate::now()),
        ))
        .on_conflict_do_nothing();
    match conn {
        DbConn::Postgresql(pg) => insert.execute(pg)?,
        DbConn::Sqlite(lite) => insert.execute(lite)?,
    };
    Ok(())
}

/// Ends `me`'s endorsement of `target`, if any.
pub fn unendorse(conn: &mut DbConn, me: i64, target: i64) -> Result<(), StorageError> {
    diesel::delete(
        endorsements::table
            .filter(endorsements::account_id.eq(me))
            .filter(endorsements::target_account_id.eq(target)),
    )
    .execute(conn)?;
    Ok(())
}

/// The accounts `me` endorses, newest endorsement first, paged by endorsement id; each row is
/// (endorsement id, account).
pub fn endorsed(
    conn: &mut DbConn,
    me: i64,
    page: Page,
) -> Result<Vec<(i64, Account)>, StorageError> {
    let mut q = endorsements::table
        .inner_join(accounts::table.on(accounts::id.eq(endorsements::target_account_id)))
        .filter(endorsements::account_id.eq(me))
        .select((endorsements::id, Account::as_select()))
        .into_boxed();
    if let Some(max) = page.max_id {
        q = q.filter(endorsements::id.lt(max));
    }
    if let Some(since) = page.since_id {
        q = q.filter(endorsements::id.gt(since));
    }
    let limit = page.limit.clamp(1, 80);
    let mut rows: Vec<(i64, Account)> = match page.min_id {
        Some(min) => q
            .filter(endorsements::id.gt(min))
            .order(endorsements::id.asc())
            .limit(limit)
            .load(conn)?,
        None => q.order(endorsements::id.desc()).limit(limit).load(conn)?,
    };
    if page.min_id.is_some() {
        rows.reverse();
    }
    Ok(rows)
}

/// A featured hashtag.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = featured_tags)]
pub struct FeaturedTag {
    pub id: i64,
    pub account_id: i64,
    pub name: String,
    pub created_at: NaiveDateTime,
}

/// An account's featured hashtags, oldest first.
pub fn featured(conn: &mut DbConn, account_id: i64) -> Result<Vec<FeaturedTag>, StorageError> {
    Ok(featured_tags::table
        .filter(featured_tags::account_id.eq(account_id))
        .order(featured_tags::id.asc())
        .select(FeaturedTag::as_select())
        .load(conn)?)
}

/// An account's featured hashtag named `name` (normalized), if featured.
pub fn featured_named(
    conn: &mut DbConn,
    account_id: i64,
    name: &str,
) -> Result<Option<FeaturedTag>, StorageError> {
    Ok(featured_tags::table
        .filter(featured_tags::account_id.eq(account_id))
        .filter(featured_tags::name.eq(name))
        .select(FeaturedTag::as_select())
        .first(conn)
        .optional()?)
}

/// Stores a featured hashtag.
pub fn insert_featured(conn: &mut DbConn, tag: &FeaturedTag) -> Result<(), StorageError> {
    diesel::insert_into(featured_tags::table)
        .values((
            featured_tags::id.eq(tag.id),
            featured_tags::account_id.eq(tag.account_id),
            featured_tags::name.eq(&tag.name),
            featured_tags::created_at.eq(tag.created_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Removes one of `account_id`'s featured hashtags by id; returns whether there was one.
pub fn delete_featured(conn: &mut DbConn, account_id: i64, id: i64) -> Result<bool, StorageError> {
    Ok(diesel::delete(
        featured_tags::table
            .filter(featured_tags::account_id.eq(account_id))
            .filter(featured_tags::id.eq(id)),
    )
    .execute(conn)?
        > 0)
}

/// How many hashtags an account features.
pub fn count_featured(conn: &mut DbConn, account_id: i64) -> Result<i64, StorageError> {
    Ok(featured_tags::table
        .filter(featured_tags::account_id.eq(account_id))
        .count()
        .get_result(conn)?)
}

/// For each of `names`, how many of the account's own public and unlisted posts (not boosts)
/// carry it and when the last one was made, as Mastodon counts a featured tag's statuses;
/// names no such post carries are left out.
pub fn tag_usage(
    conn: &mut DbConn,
    account_id: i64,
    names: &[String],
) -> Result<Vec<(String, i64, Option<NaiveDateTime>)>, StorageError> {
    Ok(status_tags::table
        .inner_join(statuses::table.on(statuses::id.eq(status_tags::status_id)))
        .filter(statuses::account_id.eq(account_id))
        .filter(statuses::reblog_of_id.is_null())
        .filter(statuses::visibility.eq_any(["public", "unlisted"]))
        .filter(status_tags::name.eq_any(names))
        .group_by(status_tags::name)
        .select((
            status_tags::name,
            diesel::dsl::count_star(),
            diesel::dsl::max(statuses::created_at),
        ))
        .load(conn)?)
}

/// The hashtags the account used most in its own posts (boosts aside), most used first.
pub fn most_used_tags(
    conn: &mut DbConn,
    account_id: i64,
    limit: i64,
) -> Result<Vec<String>, StorageError> {
    let rows: Vec<(String, i64)> = status_tags::table
        .inner_join(statuses::table.on(statuses::id.eq(status_tags::status_id)))
        .filter(statuses::account_id.eq(account_id))
        .filter(statuses::reblog_of_id.is_null())
        .group_by(status_tags::name)
        .select((status_tags::name, diesel::dsl::count_star()))
        .order((diesel::dsl::count_star().desc(), status_tags::name.asc()))
        .limit(limit)
        .load(conn)?;
    Ok(rows.into_iter().map(|(name, _)| name).collect())
}

/// A person's stored preferences (words as Mastodon names them).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = account_preferences)]
#[diesel(treat_none_as_null = true)]
pub struct PreferencesRow {
    pub account_id: i64,
    pub posting_visibility: String,
    pub posting_sensitive: bool,
    pub posting_language: Option<String>,
    pub expand_media: String,
    pub expand_spoilers: bool,
}

/// The account's stored preferences, if it ever set any.
pub fn preferences(
    conn: &mut DbConn,
    account_id: i64,
) -> Result<Option<PreferencesRow>, StorageError> {
    Ok(account_preferences::table
        .find(account_id)
        .select(PreferencesRow::as_select())
        .first(conn)
        .optional()?)
}

/// Stores the account's preferences, replacing what it had.
pub fn save_preferences(conn: &mut DbConn, row: &PreferencesRow) -> Result<(), StorageError> {
    let updated = diesel::update(account_preferences::table.find(row.account_id))
        .set(row)
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(account_preferences::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(())
}
