//! Statuses (posts and boosts), their mentions and tags, and the queries that list them.
//! Every list query takes the viewer and applies the visibility rule in SQL, so no read path
//! can return a post its reader was not addressed to.

use crate::pool::DbConn;
use crate::schema::{
    account_moderation, blocks, follows, home_feed, status_edits, status_mentions, status_tags,
    statuses,
};
use crate::StorageError;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// One status row.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Insertable)]
#[diesel(table_name = statuses)]
pub struct Status {
    pub id: i64,
    pub ap_id: String,
    pub url: Option<String>,
    pub account_id: i64,
    pub local: bool,
    pub visibility: String,
    pub in_reply_to_id: Option<i64>,
    pub in_reply_to_ap_id: Option<String>,
    pub in_reply_to_account_id: Option<i64>,
    pub reblog_of_id: Option<i64>,
    pub content: String,
    pub source_text: Option<String>,
    pub spoiler_text: String,
    pub sensitive: bool,
    pub language: Option<String>,
    pub conversation: Option<String>,
    pub attachments: String,
    pub created_at: NaiveDateTime,
    pub edited_at: Option<NaiveDateTime>,
}

/// The fields an edit replaces.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = statuses)]
#[diesel(treat_none_as_null = true)]
pub struct StatusEdit {
    pub content: String,
    pub source_text: Option<String>,
    pub spoiler_text: String,
    pub sensitive: bool,
    pub attachments: String,
    pub edited_at: Option<NaiveDateTime>,
}

/// Pagination as Mastodon clients ask for it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Page {
    /// Only ids below this.
    pub max_id: Option<i64>,
    /// Only ids above this (newest first).
    pub since_id: Option<i64>,
    /// Only ids above this, the ones right after it (oldest first, returned newest first).
    pub min_id: Option<i64>,
    /// At most this many.
    pub limit: i64,
}

/// Stores a status with the accounts it mentions and its tags.
pub fn insert(
    conn: &mut DbConn,
    status: &Status,
    mentions: &[i64],
    tags: &[String],
) -> Result<(), StorageError> {
    diesel::insert_into(statuses::table)
        .values(status)
        .execute(conn)?;
    insert_mentions_and_tags(conn, status, mentions, tags)
}

/// Stores a status like [`insert`] unless one with the same ActivityPub id is stored already;
/// returns whether it was stored (one statement for the check and the insert).
pub fn insert_if_new(
    conn: &mut DbConn,
    status: &Status,
    mentions: &[i64],
    tags: &[String],
) -> Result<bool, StorageError> {
    let insert = diesel::insert_into(statuses::table)
        .values(status)
        .on_conflict(statuses::ap_id)
        .do_nothing();
    let inserted = match conn {
        DbConn::Postgresql(pg) => insert.execute(pg)?,
        DbConn::Sqlite(lite) => insert.execute(lite)?,
    };
    if inserted == 0 {
        return Ok(false);
    }
    insert_mentions_and_tags(conn, status, mentions, tags)?;
    Ok(true)
}

fn insert_mentions_and_tags(
    conn: &mut DbConn,
    status: &Status,
    mentions: &[i64],
    tags: &[String],
) -> Result<(), StorageError> {
    for account_id in mentions {
        diesel::insert_into(status_mentions::table)
            .values((
                status_mentions::status_id.eq(status.id),
                status_mentions::account_id.eq(account_id),
            ))
            .execute(conn)?;
    }
    for name in tags {
        diesel::insert_into(status_tags::table)
            .values((
                status_tags::status_id.eq(status.id),
                status_tags::name.eq(name),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The status with this id.
pub fn by_id(conn: &mut DbConn, id: i64) -> Result<Status, StorageError> {
    Ok(statuses::table
        .find(id)
        .select(Status::as_select())
        .first(conn)?)
}

/// The status with this ActivityPub id.
pub fn by_ap_id(conn: &mut DbConn, ap_id: &str) -> Result<Status, StorageError> {
    Ok(statuses::table
        .filter(statuses::ap_id.eq(ap_id))
        .select(Status::as_select())
        .first(conn)?)
}

/// Several statuses by id, in no particular order.
pub fn by_ids(conn: &mut DbConn, ids: &[i64]) -> Result<Vec<Status>, StorageError> {
    Ok(statuses::table
        .filter(statuses::id.eq_any(ids))
        .select(Status::as_select())
        .load(conn)?)
}

/// Applies an edit, first keeping the version it replaces in `status_edits` (unless the edit
/// changes nothing shown; `poll_changed` says the caller is about to change its poll), so that
/// the history holds every version. Local and remote edits both come through here, before
/// `polls::revise` / `polls::remove` when the poll changes too.
pub fn edit(
    conn: &mut DbConn,
    id: i64,
    edit: &StatusEdit,
    poll_changed: bool,
) -> Result<(), StorageError> {
    let old = by_id(conn, id)?;
    let changed = poll_changed
        || old.content != edit.content
        || old.spoiler_text != edit.spoiler_text
        || old.sensitive != edit.sensitive
        || old.attachments != edit.attachments;
    if changed {
        // Called before the poll changes: the version kept shows the poll as it was.
        let poll_options = crate::polls::of_status(conn, id)?.map(|p| p.options);
        diesel::insert_into(status_edits::table)
            .values(&PastVersion {
                id: crate::id::new_id(),
                status_id: id,
                content: old.content,
                source_text: old.source_text,
                spoiler_text: old.spoiler_text,
                sensitive: old.sensitive,
                attachments: old.attachments,
                created_at: old.edited_at.unwrap_or(old.created_at),
                poll_options,
            })
            .execute(conn)?;
    }
    diesel::update(statuses::table.find(id))
        .set(edit)
        .execute(conn)?;
    crate::stream_events::record(conn, crate::stream_events::Event::Edit(id))?;
    Ok(())
}

/// An earlier version of an edited status.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = status_edits)]
pub struct PastVersion {
    pub id: i64,
    pub status_id: i64,
    pub content: String,
    pub source_text: Option<String>,
    pub spoiler_text: String,
    pub sensitive: bool,
    pub attachments: String,
    /// When this version was made.
    pub created_at: NaiveDateTime,
    /// Its poll's option titles (as `Poll::options`), if it had a poll.
    pub poll_options: Option<String>,
}

/// The earlier versions of a status, oldest first (the current one is the status row).
pub fn past_versions(conn: &mut DbConn, status_id: i64) -> Result<Vec<PastVersion>, StorageError> {
    Ok(status_edits::table
        .filter(status_edits::status_id.eq(status_id))
        .order(status_edits::id.asc())
        .select(PastVersion::as_select())
        .load(conn)?)
}

/// A page of (own id, status id) rows of a table that marks statuses for accounts (favourites,
/// bookmarks, pins), newest first, paged by the table's own id as Mastodon pages favourites.
macro_rules! marks_page {
    ($conn:expr, $table:ident, $owner_col:ident, $owner:expr, $page:expr) => {{
        use crate::schema::$table;
        let page: crate::statuses::Page = $page;
        let mut q = $table::table
            .filter($table::$owner_col.eq($owner))
            .select(($table::id, $table::status_id))
            .into_boxed();
        if let Some(max) = page.max_id {
            q = q.filter($table::id.lt(max));
        }
        if let Some(since) = page.since_id {
            q = q.filter($table::id.gt(since));
        }
        let limit = page.limit.clamp(1, 80);
        let mut rows: Vec<(i64, i64)> = match page.min_id {
            Some(min) => q
                .filter($table::id.gt(min))
                .order($table::id.asc())
                .limit(limit)
                .load($conn)?,
            None => q.order($table::id.desc()).limit(limit).load($conn)?,
        };
        if page.min_id.is_some() {
            rows.reverse();
        }
        rows
    }};
}
pub(crate) use marks_page;

/// Of these (mark id, status id) pairs, those whose status `viewer` may see, as (mark id,
/// status), in the order given: the visibility rule applied to a page cut from another table.
pub fn visible_marked(
    conn: &mut DbConn,
    pairs: &[(i64, i64)],
    viewer: Option<i64>,
) -> Result<Vec<(i64, Status)>, StorageError> {
    let ids: Vec<i64> = pairs.iter().map(|(_, s)| *s).collect();
    let query = visible_to(
        statuses::table
            .filter(statuses::id.eq_any(ids))
            .into_boxed(),
        viewer,
    );
    let mut found: std::collections::HashMap<i64, Status> = query
        .select(Status::as_select())
        .load(conn)?
        .into_iter()
        .map(|s: Status| (s.id, s))
        .collect();
    Ok(pairs
        .iter()
        .filter_map(|(mark, s)| Some((*mark, found.remove(s)?)))
        .collect())
}

/// The accounts that boosted a status, as (boost id, account), newest first, paged by the
/// boost's id.
pub fn rebloggers(
    conn: &mut DbConn,
    status_id: i64,
    page: Page,
) -> Result<Vec<(i64, crate::accounts::Account)>, StorageError> {
    use crate::schema::accounts;
    let mut q = statuses::table
        .inner_join(accounts::table)
        .filter(statuses::reblog_of_id.eq(status_id))
        .select((statuses::id, crate::accounts::Account::as_select()))
        .into_boxed();
    if let Some(max) = page.max_id {
        q = q.filter(statuses::id.lt(max));
    }
    if let Some(since) = page.since_id {
        q = q.filter(statuses::id.gt(since));
    }
    let limit = page.limit.clamp(1, 80);
    let mut rows: Vec<(i64, crate::accounts::Account)> = match page.min_id {
        Some(min) => q
            .filter(statuses::id.gt(min))
            .order(statuses::id.asc())
            .limit(limit)
            .load(conn)?,
        None => q.order(statuses::id.desc()).limit(limit).load(conn)?,
    };
    if page.min_id.is_some() {
        rows.reverse();
    }
    Ok(rows)
}

/// Deletes a status (its boosts, mentions, favourites and feed entries go with it).
pub fn delete(conn: &mut DbConn, id: i64) -> Result<(), StorageError> {
    let row: Option<(i64, String)> = statuses::table
        .find(id)
        .select((statuses::account_id, statuses::visibility))
        .first(conn)
        .optional()?;
    diesel::delete(statuses::table.filter(statuses::reblog_of_id.eq(id))).execute(conn)?;
    diesel::delete(statuses::table.find(id)).execute(conn)?;
    if let Some((author, visibility)) = row {
        crate::stream_events::record(
            conn,
            crate::stream_events::Event::Delete {
                status: id,
                author,
                public: visibility == "public",
            },
        )?;
    }
    Ok(())
}

/// The boost of `status_id` by `account_id`, if there is one.
pub fn reblog_by(
    conn: &mut DbConn,
    account_id: i64,
    status_id: i64,
) -> Result<Status, StorageError> {
    Ok(statuses::table
        .filter(statuses::account_id.eq(account_id))
        .filter(statuses::reblog_of_id.eq(status_id))
        .select(Status::as_select())
        .first(conn)?)
}

/// Holds `status_id` until the transaction ends, so that concurrent boosts of it are checked
/// and stored one after another (no unique index says one boost per account and post).
/// PostgreSQL takes a row lock that does not block inserts referring to the row; SQLite needs
/// none, its writes being serial already.
pub fn lock_for_boost(conn: &mut DbConn, status_id: i64) -> Result<(), StorageError> {
    if let DbConn::Postgresql(pg) = conn {
        statuses::table
            .find(status_id)
            .select(statuses::id)
            .for_no_key_update()
            .load::<i64>(pg)?;
    }
    Ok(())
}

/// Local accounts that boosted a status.
pub fn local_reblogger_ids(conn: &mut DbConn, status_id: i64) -> Result<Vec<i64>, StorageError> {
    use crate::schema::accounts;
    Ok(statuses::table
        .inner_join(accounts::table)
        .filter(statuses::reblog_of_id.eq(status_id))
        .filter(accounts::domain.is_null())
        .select(accounts::id)
        .load(conn)?)
}

/// Ids of the accounts a status mentions.
pub fn mentions(conn: &mut DbConn, status_id: i64) -> Result<Vec<i64>, StorageError> {
    Ok(status_mentions::table
        .filter(status_mentions::status_id.eq(status_id))
        .select(status_mentions::account_id)
        .load(conn)?)
}

/// Tags of a status.
pub fn tags(conn: &mut DbConn, status_id: i64) -> Result<Vec<String>, StorageError> {
    Ok(status_tags::table
        .filter(status_tags::status_id.eq(status_id))
        .select(status_tags::name)
        .load(conn)?)
}

/// Replies to a status that are stored here.
pub fn replies(conn: &mut DbConn, parent_id: i64) -> Result<Vec<Status>, StorageError> {
    Ok(statuses::table
        .filter(statuses::in_reply_to_id.eq(parent_id))
        .select(Status::as_select())
        .order(statuses::id.asc())
        .load(conn)?)
}

/// Links replies that arrived before their parent to it, once the parent is stored.
pub fn adopt_orphans(conn: &mut DbConn, parent: &Status) -> Result<(), StorageError> {
    diesel::update(
        statuses::table
            .filter(statuses::in_reply_to_ap_id.eq(&parent.ap_id))
            .filter(statuses::in_reply_to_id.is_null()),
    )
    .set((
        statuses::in_reply_to_id.eq(parent.id),
        statuses::in_reply_to_account_id.eq(parent.account_id),
    ))
    .execute(conn)?;
    Ok(())
}

/// (status, mentioned account) pairs of several statuses.
pub fn mentions_of(conn: &mut DbConn, status_ids: &[i64]) -> Result<Vec<(i64, i64)>, StorageError> {
    Ok(status_mentions::table
        .filter(status_mentions::status_id.eq_any(status_ids))
        .select((status_mentions::status_id, status_mentions::account_id))
        .load(conn)?)
}

/// (status, tag) pairs of several statuses.
pub fn tags_of(conn: &mut DbConn, status_ids: &[i64]) -> Result<Vec<(i64, String)>, StorageError> {
    Ok(status_tags::table
        .filter(status_tags::status_id.eq_any(status_ids))
        .select((status_tags::status_id, status_tags::name))
        .order((status_tags::status_id, status_tags::name))
        .load(conn)?)
}

/// Boosts of several statuses, as (status, count, whether `viewer` is among the boosters), in
/// one grouped query; statuses with none are left out.
pub fn count_reblogs_of(
    conn: &mut DbConn,
    status_ids: &[i64],
    viewer: Option<i64>,
) -> Result<Vec<(i64, i64, bool)>, StorageError> {
    let rows: Vec<(Option<i64>, i64, i64)> = statuses::table
        .filter(statuses::reblog_of_id.eq_any(status_ids))
        .group_by(statuses::reblog_of_id)
        .select((
            statuses::reblog_of_id,
            diesel::dsl::count_star(),
            crate::count_where_account!(viewer),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, n, mine)| Some((id?, n, mine > 0)))
        .collect())
}

/// Reply counts of several statuses, as (status, count); statuses with none are left out.
pub fn count_replies_of(
    conn: &mut DbConn,
    status_ids: &[i64],
) -> Result<Vec<(i64, i64)>, StorageError> {
    let rows: Vec<(Option<i64>, i64)> = statuses::table
        .filter(statuses::in_reply_to_id.eq_any(status_ids))
        .group_by(statuses::in_reply_to_id)
        .select((statuses::in_reply_to_id, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, n)| Some((id?, n)))
        .collect())
}

/// Number of posts (not boosts) by an account.
pub fn count_by_account(conn: &mut DbConn, account_id: i64) -> Result<i64, StorageError> {
    Ok(statuses::table
        .filter(statuses::account_id.eq(account_id))
        .filter(statuses::reblog_of_id.is_null())
        .count()
        .get_result(conn)?)
}

/// Number of posts received from elsewhere (for benchmarks).
pub fn count_remote_for_bench(conn: &mut DbConn) -> Result<i64, StorageError> {
    Ok(statuses::table
        .filter(statuses::local.eq(false))
        .count()
        .get_result(conn)?)
}

/// Number of posts made here.
pub fn count_local(conn: &mut DbConn) -> Result<i64, StorageError> {
    Ok(statuses::table
        .filter(statuses::local.eq(true))
        .filter(statuses::reblog_of_id.is_null())
        .count()
        .get_result(conn)?)
}

type BoxedStatuses<'a> = statuses::BoxedQuery<'a, crate::pool::MultiBackend>;

/// Restricts a query to what `viewer` may see: public and unlisted posts; followers-only posts
/// of accounts the viewer follows; anything the viewer wrote or is mentioned in; and nothing by
/// an account that blocks the viewer or that the viewer blocks (boosts included: a boost is a
/// row of the booster's, and its boosted post is checked as a row of its own). Moderation
/// applies too (`moderated`): nothing by a suspended account, and a silenced account's posts
/// only to its followers.
fn visible_to(query: BoxedStatuses<'static>, viewer: Option<i64>) -> BoxedStatuses<'static> {
    let open = statuses::visibility.eq_any(["public", "unlisted"]);
    let query = moderated(query, viewer);
    match viewer {
        None => query.filter(open),
        Some(v) => {
            let followed = follows::table
                .filter(follows::account_id.eq(v))
                .filter(follows::accepted.eq(true))
                .select(follows::target_account_id);
            let mentioned = status_mentions::table
                .filter(status_mentions::account_id.eq(v))
                .select(status_mentions::status_id);
            without_blocks(query, v).filter(
                open.or(statuses::account_id.eq(v))
                    .or(statuses::id.eq_any(mentioned))
                    .or(statuses::visibility
                        .eq("private")
                        .and(statuses::account_id.eq_any(followed))),
            )
        }
    }
}

/// Leaves out statuses by suspended accounts, and those by silenced (limited) accounts unless
/// `viewer` wrote them or follows their author.
fn moderated(query: BoxedStatuses<'static>, viewer: Option<i64>) -> BoxedStatuses<'static> {
    let suspended = account_moderation::table
        .filter(account_moderation::suspended_at.is_not_null())
        .select(account_moderation::account_id);
    let silenced = account_moderation::table
        .filter(account_moderation::silenced_at.is_not_null())
        .select(account_moderation::account_id);
    let query = query.filter(statuses::account_id.ne_all(suspended));
    match viewer {
        None => query.filter(statuses::account_id.ne_all(silenced)),
        Some(v) => {
            let followed = follows::table
                .filter(follows::account_id.eq(v))
                .filter(follows::accepted.eq(true))
                .select(follows::target_account_id);
            query.filter(
                statuses::account_id
                    .ne_all(silenced)
                    .or(statuses::account_id.eq(v))
                    .or(statuses::account_id.eq_any(followed)),
            )
        }
    }
}

/// Leaves out statuses by accounts that `viewer` blocks or that block `viewer`.
fn without_blocks(query: BoxedStatuses<'static>, viewer: i64) -> BoxedStatuses<'static> {
    let blocked = blocks::table
        .filter(blocks::account_id.eq(viewer))
        .select(blocks::target_account_id);
    let blocking = blocks::table
        .filter(blocks::target_account_id.eq(viewer))
        .select(blocks::account_id);
    query
        .filter(statuses::account_id.ne_all(blocked))
        .filter(statuses::account_id.ne_all(blocking))
}

fn paginate(mut query: BoxedStatuses<'static>, page: Page) -> BoxedStatuses<'static> {
    if let Some(max) = page.max_id {
        query = query.filter(statuses::id.lt(max));
    }
    if let Some(since) = page.since_id {
        query = query.filter(statuses::id.gt(since));
    }
    let limit = page.limit.clamp(1, 40);
    match page.min_id {
        Some(min) => query
            .filter(statuses::id.gt(min))
            .order(statuses::id.asc())
            .limit(limit),
        None => query.order(statuses::id.desc()).limit(limit),
    }
}

fn load_page(
    conn: &mut DbConn,
    query: BoxedStatuses<'static>,
    page: Page,
) -> Result<Vec<Status>, StorageError> {
    let mut rows: Vec<Status> = paginate(query, page)
        .select(Status::as_select())
        .load(conn)?;
    if page.min_id.is_some() {
        rows.reverse();
    }
    Ok(rows)
}

/// Sets or clears a status's `sensitive` mark (a moderator's action).
pub fn set_sensitive(conn: &mut DbConn, id: i64, sensitive: bool) -> Result<(), StorageError> {
    diesel::update(statuses::table.find(id))
        .set(statuses::sensitive.eq(sensitive))
        .execute(conn)?;
    Ok(())
}

/// Whether `viewer` may see the status with this id (the one rule, as a query).
pub fn is_visible(conn: &mut DbConn, id: i64, viewer: Option<i64>) -> Result<bool, StorageError> {
    let query = visible_to(
        statuses::table.filter(statuses::id.eq(id)).into_boxed(),
        viewer,
    );
    Ok(query.count().get_result::<i64>(conn)? > 0)
}

/// Which of these statuses `viewer` may see.
pub fn visible_among(
    conn: &mut DbConn,
    ids: &[i64],
    viewer: Option<i64>,
) -> Result<Vec<i64>, StorageError> {
    let query = visible_to(
        statuses::table
            .filter(statuses::id.eq_any(ids.to_vec()))
            .into_boxed(),
        viewer,
    );
    Ok(query.select(statuses::id).load(conn)?)
}

/// An account's posts and boosts that `viewer` may see, newest first.
pub fn by_account(
    conn: &mut DbConn,
    account_id: i64,
    viewer: Option<i64>,
    page: Page,
) -> Result<Vec<Status>, StorageError> {
    let query = visible_to(
        statuses::table
            .filter(statuses::account_id.eq(account_id))
            .into_boxed(),
        viewer,
    );
    load_page(conn, query, page)
}

/// The public timeline: public posts (no boosts), optionally only local or only remote ones,
/// without those of accounts that block `viewer` or that `viewer` blocks, and without those
/// of accounts on silenced or suspended domains.
pub fn public(
    conn: &mut DbConn,
    local: Option<bool>,
    viewer: Option<i64>,
    page: Page,
) -> Result<Vec<Status>, StorageError> {
    let mut query = statuses::table
        .filter(statuses::visibility.eq("public"))
        .filter(statuses::reblog_of_id.is_null())
        .into_boxed();
    if let Some(l) = local {
        query = query.filter(statuses::local.eq(l));
    }
    load_page(conn, publicly_listed(query, viewer), page)
}

/// What a public list (the public timeline, a tag's page) keeps of public posts: nothing by
/// suspended or silenced accounts (silenced ones' only for their followers), nothing across a
/// block with `viewer`, and nothing by accounts on silenced or suspended domains.
fn publicly_listed(query: BoxedStatuses<'static>, viewer: Option<i64>) -> BoxedStatuses<'static> {
    let mut query = moderated(query, viewer);
    if let Some(v) = viewer {
        query = without_blocks(query, v);
    }
    // Domain policies: silenced (limited) and suspended servers' accounts reach only their
    // followers here, never a public list.
    query.filter(diesel::dsl::sql::<diesel::sql_types::Bool>(&format!(
        "statuses.account_id NOT IN ({})",
        crate::domain_policies::accounts_under_sql(&["silence", "suspend"])
    )))
}

/// The replies to any of `parent_ids` that `viewer` may see, oldest first, leaving out those
/// by accounts on silenced or suspended domains as public lists do: one level of a thread as
/// a public page shows it, in one query.
pub fn visible_replies(
    conn: &mut DbConn,
    parent_ids: &[i64],
    viewer: Option<i64>,
) -> Result<Vec<Status>, StorageError> {
    let query = visible_to(
        statuses::table
            .filter(statuses::in_reply_to_id.eq_any(parent_ids.to_vec()))
            .into_boxed(),
        viewer,
    )
    .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(&format!(
        "statuses.account_id NOT IN ({})",
        crate::domain_policies::accounts_under_sql(&["silence", "suspend"])
    )));
    Ok(query
        .select(Status::as_select())
        .order(statuses::id.asc())
        .load(conn)?)
}

/// What a tag timeline asks for (`GET /api/v1/timelines/tag/:hashtag`), names normalized.
#[derive(Debug, Clone, Default)]
pub struct TagFilter {
    /// Posts with at least one of these (the path's tag and `any[]`).
    pub any: Vec<String>,
    /// Posts with every one of these too (`all[]`).
    pub all: Vec<String>,
    /// And none of these (`none[]`).
    pub none: Vec<String>,
    /// Only local (`Some(true)`) or only remote (`Some(false)`) posts.
    pub local: Option<bool>,
    /// Only posts with media attached.
    pub only_media: bool,
}

/// A tag timeline: public posts (no boosts) carrying the tags `filter` asks for, with the
/// same exclusions as the public timeline (`publicly_listed`), newest first.
pub fn tagged(
    conn: &mut DbConn,
    filter: &TagFilter,
    viewer: Option<i64>,
    page: Page,
) -> Result<Vec<Status>, StorageError> {
    use crate::schema::media_attachments;
    let with = |names: Vec<String>| {
        status_tags::table
            .filter(status_tags::name.eq_any(names))
            .select(status_tags::status_id)
    };
    let mut query = statuses::table
        .filter(statuses::visibility.eq("public"))
        .filter(statuses::reblog_of_id.is_null())
        .filter(statuses::id.eq_any(with(filter.any.clone())))
        .into_boxed();
    for name in &filter.all {
        query = query.filter(statuses::id.eq_any(with(vec![name.clone()])));
    }
    if !filter.none.is_empty() {
        query = query.filter(statuses::id.ne_all(with(filter.none.clone())));
    }
    if let Some(l) = filter.local {
        query = query.filter(statuses::local.eq(l));
    }
    if filter.only_media {
        let uploaded = media_attachments::table.select(media_attachments::status_id);
        query = query.filter(
            statuses::attachments
                .ne("[]")
                .or(statuses::id.nullable().eq_any(uploaded)),
        );
    }
    load_page(conn, publicly_listed(query, viewer), page)
}

/// `account_id`'s home timeline, from the materialized feed, still filtered by visibility.
///
/// The page is cut from the feed first, in a sub-select walking its primary key
/// `(account_id, status_id)`, and only those statuses are loaded and checked: asking for
/// "statuses in this feed, newest first" as a join let PostgreSQL plan a walk over the whole
/// feed (a second per page at a million statuses); the sub-select's `LIMIT` keeps it to one
/// index range. Fan-in only feeds what the owner may see, so the visibility check rarely
/// drops one; when it does the page is shorter, and paging goes on from its last id.
pub fn home(conn: &mut DbConn, account_id: i64, page: Page) -> Result<Vec<Status>, StorageError> {
    // Plain bounds (not optional filters) keep the sub-select a fixed type, which diesel needs
    // to run it on either backend.
    let above = page.since_id.max(page.min_id).unwrap_or(i64::MIN);
    let below = page.max_id.unwrap_or(i64::MAX);
    let range = home_feed::table
        .filter(home_feed::account_id.eq(account_id))
        .filter(home_feed::status_id.gt(above))
        .filter(home_feed::status_id.lt(below))
        .select(home_feed::status_id);
    let limit = page.limit.clamp(1, 40);
    let in_page = match page.min_id {
        Some(_) => statuses::table
            .filter(statuses::id.eq_any(range.order(home_feed::status_id.asc()).limit(limit)))
            .into_boxed(),
        None => statuses::table
            .filter(statuses::id.eq_any(range.order(home_feed::status_id.desc()).limit(limit)))
            .into_boxed(),
    };
    // Posts of muted accounts (while the mute lasts) and of domains the owner blocked stay
    // out of the home timeline; the feed keeps them, so unmuting brings them back. So do
    // posts of members of the owner's exclusive lists (they are read in those lists).
    let in_page = without_exclusive(without_muted(in_page, account_id), account_id);
    load_page(conn, visible_to(in_page, Some(account_id)), page)
}

/// Leaves out posts of accounts `owner` mutes (while the mute lasts) and of accounts on
/// domains `owner` blocked.
fn without_muted(query: BoxedStatuses<'static>, owner: i64) -> BoxedStatuses<'static> {
    use crate::schema::{account_domain_blocks, accounts, mutes};
    let muted = mutes::table
        .filter(mutes::account_id.eq(owner))
        .filter(
            mutes::expires_at
                .is_null()
                .or(mutes::expires_at.gt(crate::now())),
        )
        .select(mutes::target_account_id);
    let domains = account_domain_blocks::table
        .filter(account_domain_blocks::account_id.eq(owner))
        .select(account_domain_blocks::domain.nullable());
    let hidden = accounts::table
        .filter(
            accounts::id
                .eq_any(muted)
                .or(accounts::domain.eq_any(domains)),
        )
        .select(accounts::id);
    query.filter(diesel::dsl::not(statuses::account_id.eq_any(hidden)))
}

/// Leaves out posts (and boosts) by members of `owner`'s exclusive lists.
fn without_exclusive(query: BoxedStatuses<'static>, owner: i64) -> BoxedStatuses<'static> {
    use crate::schema::{list_accounts, lists};
    let exclusive = lists::table
        .filter(lists::account_id.eq(owner))
        .filter(lists::exclusive.eq(true))
        .select(lists::id);
    let members = list_accounts::table
        .filter(list_accounts::list_id.eq_any(exclusive))
        .select(list_accounts::account_id);
    query.filter(diesel::dsl::not(statuses::account_id.eq_any(members)))
}

/// The statuses of a list's timeline: posts and boosts by its members, without replies its
/// `replies_policy` leaves out (Mastodon's rule: a reply stays if it answers its own author
/// or the list's owner; with `followed`, also if it answers someone the owner follows; with
/// `list`, someone in the list; with `none`, nobody else), and without muted accounts'.
fn list_query(list: &crate::lists::List) -> BoxedStatuses<'static> {
    use crate::schema::list_accounts;
    let owner = list.account_id;
    let members = list_accounts::table
        .filter(list_accounts::list_id.eq(list.id))
        .select(list_accounts::account_id);
    let query = statuses::table
        .filter(statuses::account_id.eq_any(members))
        .into_boxed();
    let not_reply = statuses::in_reply_to_id
        .is_null()
        .and(statuses::in_reply_to_ap_id.is_null());
    let kept = not_reply
        .or(statuses::in_reply_to_account_id.eq(statuses::account_id.nullable()))
        .or(statuses::in_reply_to_account_id.eq(owner));
    let query = match list.replies_policy.as_str() {
        "followed" => {
            let followed = follows::table
                .filter(follows::account_id.eq(owner))
                .filter(follows::accepted.eq(true))
                .select(follows::target_account_id.nullable());
            query.filter(kept.or(statuses::in_reply_to_account_id.eq_any(followed)))
        }
        "list" => {
            let in_list = list_accounts::table
                .filter(list_accounts::list_id.eq(list.id))
                .select(list_accounts::account_id.nullable());
            query.filter(kept.or(statuses::in_reply_to_account_id.eq_any(in_list)))
        }
        _ => query.filter(kept),
    };
    visible_to(without_muted(query, owner), Some(owner))
}

/// A page of a list's timeline as its owner sees it, newest first.
pub fn list_timeline(
    conn: &mut DbConn,
    list: &crate::lists::List,
    page: Page,
) -> Result<Vec<Status>, StorageError> {
    load_page(conn, list_query(list), page)
}

/// Whether status `id` belongs in a list's timeline (streaming: who is told of it).
pub fn in_list(
    conn: &mut DbConn,
    id: i64,
    list: &crate::lists::List,
) -> Result<bool, StorageError> {
    let query = list_query(list).filter(statuses::id.eq(id));
    Ok(query.count().get_result::<i64>(conn)? > 0)
}

/// The newest direct message of `conversation` (see `conversations::key_of`) that `viewer`
/// may see, if any: what a conversation shows once its newest message is gone.
pub fn latest_direct_in(
    conn: &mut DbConn,
    conversation: &str,
    viewer: i64,
) -> Result<Option<Status>, StorageError> {
    use crate::OptionalExt;
    let conversation = conversation.to_owned();
    let query = statuses::table
        .filter(statuses::visibility.eq("direct"))
        .filter(statuses::reblog_of_id.is_null())
        .filter(
            statuses::conversation
                .eq(conversation.clone())
                .or(statuses::conversation
                    .is_null()
                    .and(statuses::ap_id.eq(conversation))),
        )
        .into_boxed();
    visible_to(query, Some(viewer))
        .order(statuses::id.desc())
        .select(Status::as_select())
        .first(conn)
        .map_err(StorageError::from)
        .optional()
}

/// Puts a status into these accounts' home feeds.
pub fn add_to_feeds(
    conn: &mut DbConn,
    status_id: i64,
    account_ids: &[i64],
) -> Result<(), StorageError> {
    for account_id in account_ids {
        let insert = diesel::insert_into(home_feed::table)
            .values((
                home_feed::account_id.eq(account_id),
                home_feed::status_id.eq(status_id),
            ))
            .on_conflict_do_nothing();
        match conn {
            DbConn::Postgresql(pg) => insert.execute(pg)?,
            DbConn::Sqlite(lite) => insert.execute(lite)?,
        };
    }
    Ok(())
}

/// Removes an account's posts from a feed (after an unfollow).
pub fn remove_author_from_feed(
    conn: &mut DbConn,
    feed_owner: i64,
    author: i64,
) -> Result<(), StorageError> {
    let authored = statuses::table
        .filter(statuses::account_id.eq(author))
        .select(statuses::id);
    diesel::delete(
        home_feed::table
            .filter(home_feed::account_id.eq(feed_owner))
            .filter(home_feed::status_id.eq_any(authored)),
    )
    .execute(conn)?;
    Ok(())
}

/// Which of `accounts` have status `id` in their home feed (streaming: who is told of it).
pub fn in_feeds_of(conn: &mut DbConn, id: i64, accounts: &[i64]) -> Result<Vec<i64>, StorageError> {
    Ok(home_feed::table
        .filter(home_feed::status_id.eq(id))
        .filter(home_feed::account_id.eq_any(accounts))
        .select(home_feed::account_id)
        .load(conn)?)
}

/// Number of posts (not boosts) made here with ids in `[from_id, to_id)`: ids are
/// time-ordered, so this counts a span of time along the primary key.
pub fn count_local_in(conn: &mut DbConn, from_id: i64, to_id: i64) -> Result<i64, StorageError> {
    Ok(statuses::table
        .filter(statuses::id.ge(from_id))
        .filter(statuses::id.lt(to_id))
        .filter(statuses::local.eq(true))
        .filter(statuses::reblog_of_id.is_null())
        .count()
        .get_result(conn)?)
}
