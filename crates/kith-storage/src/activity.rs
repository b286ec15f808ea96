//! Notifications, favourites, and the ids of activities already received.

use crate::pool::DbConn;
use crate::schema::{favourites, notifications, received_activities};
use crate::StorageError;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// A notification for a local account; `kind` is Mastodon's type string
/// (`kith_core::notifications::NotificationKind` converts it).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = notifications)]
pub struct Notification {
    pub id: i64,
    pub account_id: i64,
    pub from_account_id: i64,
    pub kind: String,
    pub status_id: Option<i64>,
    pub created_at: NaiveDateTime,
    /// What an `admin.report` (the report) or `moderation_warning` (the warning) is about.
    pub subject_id: Option<i64>,
    /// Held by the recipient's notification policy (a notification request): left out of
    /// every listing until released.
    pub filtered: bool,
}

/// Stores a notification, unchecked. Only the notification gate,
/// `kith_core::notifications::notify`, calls this: it decides whether a notification may be
/// stored at all (self, blocks, mutes, domain blocks). Everything else goes through the gate;
/// `clippy.toml` forbids calling this anywhere else.
pub fn insert_notification(conn: &mut DbConn, n: &Notification) -> Result<(), StorageError> {
    diesel::insert_into(notifications::table)
        .values(n)
        .execute(conn)?;
    Ok(())
}

/// Which of an account's notifications a listing asks for.
#[derive(Debug, Clone, Default)]
pub struct NotificationFilter {
    /// Only these kinds (`None`: all).
    pub kinds: Option<Vec<String>>,
    /// Only those from this account.
    pub from_account: Option<i64>,
    /// Only those about this status.
    pub status: Option<i64>,
    /// Only those made in `[from, to)`.
    pub created: Option<(NaiveDateTime, NaiveDateTime)>,
    /// Held (filtered) notifications too (Mastodon's `include_filtered`). Held ones are also
    /// listed when `from_account` is set, as in Mastodon (this is how apps show a
    /// notification request's notifications).
    pub include_filtered: bool,
    /// Only held ones (a notification request's contents).
    pub only_filtered: bool,
}

type BoxedNotifications = notifications::BoxedQuery<'static, crate::pool::MultiBackend>;

/// The one listing rule for an account's notifications, which every read of them (v1 list,
/// unread counts, the v2 groups) builds on: a new rule about which notifications are listed
/// goes here.
fn listed(account_id: i64, filter: &NotificationFilter) -> BoxedNotifications {
    let mut q = notifications::table
        .filter(notifications::account_id.eq(account_id))
        .into_boxed();
    if let Some(k) = &filter.kinds {
        q = q.filter(notifications::kind.eq_any(k.clone()));
    }
    if let Some(from) = filter.from_account {
        q = q.filter(notifications::from_account_id.eq(from));
    }
    if filter.only_filtered {
        q = q.filter(notifications::filtered.eq(true));
    } else if !filter.include_filtered && filter.from_account.is_none() {
        // Held by the recipient's notification policy: listed only once released.
        q = q.filter(notifications::filtered.eq(false));
    }
    if let Some(status) = filter.status {
        q = q.filter(notifications::status_id.eq(status));
    }
    if let Some((from, to)) = filter.created {
        q = q
            .filter(notifications::created_at.ge(from))
            .filter(notifications::created_at.lt(to));
    }
    q
}

/// An account's notifications, newest first (paged as statuses are), optionally only some kinds.
pub fn notifications_for(
    conn: &mut DbConn,
    account_id: i64,
    kinds: Option<Vec<String>>,
    page: crate::statuses::Page,
) -> Result<Vec<Notification>, StorageError> {
    let filter = NotificationFilter {
        kinds,
        ..NotificationFilter::default()
    };
    notifications_matching(conn, account_id, &filter, page)
}

/// An account's notifications that `filter` asks for, newest first (paged as statuses are).
pub fn notifications_matching(
    conn: &mut DbConn,
    account_id: i64,
    filter: &NotificationFilter,
    page: crate::statuses::Page,
) -> Result<Vec<Notification>, StorageError> {
    let mut q = listed(account_id, filter);
    if let Some(m) = page.max_id {
        q = q.filter(notifications::id.lt(m));
    }
    if let Some(s) = page.since_id {
        q = q.filter(notifications::id.gt(s));
    }
    let limit = page.limit.clamp(1, 80);
    let mut rows: Vec<Notification> = match page.min_id {
        Some(min) => q
            .filter(notifications::id.gt(min))
            .order(notifications::id.asc())
            .limit(limit)
            .select(Notification::as_select())
            .load(conn)?,
        None => q
            .order(notifications::id.desc())
            .limit(limit)
            .select(Notification::as_select())
            .load(conn)?,
    };
    if page.min_id.is_some() {
        rows.reverse();
    }
    Ok(rows)
}

/// One of an account's notifications.
pub fn notification(
    conn: &mut DbConn,
    account_id: i64,
    id: i64,
) -> Result<Notification, StorageError> {
    Ok(notifications::table
        .filter(notifications::account_id.eq(account_id))
        .filter(notifications::id.eq(id))
        .select(Notification::as_select())
        .first(conn)?)
}

/// Deletes one of an account's notifications; false if it had none with this id.
pub fn dismiss(conn: &mut DbConn, account_id: i64, id: i64) -> Result<bool, StorageError> {
    let n = diesel::delete(
        notifications::table
            .filter(notifications::account_id.eq(account_id))
            .filter(notifications::id.eq(id)),
    )
    .execute(conn)?;
    Ok(n > 0)
}

/// Deletes all of an account's notifications.
pub fn clear_notifications(conn: &mut DbConn, account_id: i64) -> Result<(), StorageError> {
    diesel::delete(notifications::table.filter(notifications::account_id.eq(account_id)))
        .execute(conn)?;
    Ok(())
}

/// Deletes an account's notifications from the accounts of `domain` (when it blocks that
/// domain, as Mastodon does).
pub fn clear_notifications_from_domain(
    conn: &mut DbConn,
    account_id: i64,
    domain: &str,
) -> Result<(), StorageError> {
    let senders = crate::schema::accounts::table
        .filter(crate::schema::accounts::domain.eq(domain))
        .select(crate::schema::accounts::id);
    diesel::delete(
        notifications::table
            .filter(notifications::account_id.eq(account_id))
            .filter(notifications::from_account_id.eq_any(senders)),
    )
    .execute(conn)?;
    Ok(())
}

/// How many of an account's notifications are newer than `after`, optionally only some kinds,
/// counting no further than `cap`. Held (filtered) ones are not counted.
pub fn count_unread(
    conn: &mut DbConn,
    account_id: i64,
    after: Option<i64>,
    kinds: Option<Vec<String>>,
    cap: i64,
) -> Result<i64, StorageError> {
    let filter = NotificationFilter {
        kinds,
        ..NotificationFilter::default()
    };
    let q = listed(account_id, &filter)
        .filter(notifications::id.gt(after.unwrap_or(i64::MIN)))
        .select(notifications::id);
    // Counting a capped sub-select keeps the count cheap however many there are.
    let ids: Vec<i64> = q.order(notifications::id.desc()).limit(cap).load(conn)?;
    Ok(ids.len() as i64)
}

/// Removes follow-request notifications once the request is settled.
pub fn clear_follow_request(
    conn: &mut DbConn,
    account_id: i64,
    from: i64,
) -> Result<(), StorageError> {
    diesel::delete(
        notifications::table
            .filter(notifications::account_id.eq(account_id))
            .filter(notifications::from_account_id.eq(from))
            .filter(notifications::kind.eq("follow_request")),
    )
    .execute(conn)?;
    Ok(())
}

/// Records a favourite; returns false if it existed already.
pub fn favourite(
    conn: &mut DbConn,
    id: i64,
    account_id: i64,
    status_id: i64,
    ap_id: &str,
) -> Result<bool, StorageError> {
    // One statement, so that concurrent favourites of the same post by the same account store
    // one row and none of them fails.
    let insert = diesel::insert_into(favourites::table)
        .values((
            favourites::id.eq(id),
            favourites::account_id.eq(account_id),
            favourites::status_id.eq(status_id),
            favourites::ap_id.eq(ap_id),
            favourites::created_at.eq(crate::now()),
        ))
        .on_conflict_do_nothing();
    let inserted = match conn {
        DbConn::Postgresql(pg) => insert.execute(pg)?,
        DbConn::Sqlite(lite) => insert.execute(lite)?,
    };
    Ok(inserted > 0)
}

/// Removes a favourite; returns the Like's id if there was one.
pub fn unfavourite(
    conn: &mut DbConn,
    account_id: i64,
    status_id: i64,
) -> Result<Option<String>, StorageError> {
    let found: Option<(i64, String)> = favourites::table
        .filter(favourites::account_id.eq(account_id))
        .filter(favourites::status_id.eq(status_id))
        .select((favourites::id, favourites::ap_id))
        .first(conn)
        .optional()?;
    if let Some((id, _)) = &found {
        diesel::delete(favourites::table.find(id)).execute(conn)?;
    }
    Ok(found.map(|(_, ap)| ap))
}

/// Removes the favourite whose Like had this id; returns (account, status) if there was one.
pub fn unfavourite_by_ap_id(
    conn: &mut DbConn,
    ap_id: &str,
) -> Result<Option<(i64, i64)>, StorageError> {
    let found: Option<(i64, i64, i64)> = favourites::table
        .filter(favourites::ap_id.eq(ap_id))
        .select((
            favourites::id,
            favourites::account_id,
            favourites::status_id,
        ))
        .first(conn)
        .optional()?;
    if let Some((id, _, _)) = found {
        diesel::delete(favourites::table.find(id)).execute(conn)?;
    }
    Ok(found.map(|(_, a, s)| (a, s)))
}

/// Whether `account_id` favourited `status_id`.
pub fn is_favourited(
    conn: &mut DbConn,
    account_id: i64,
    status_id: i64,
) -> Result<bool, StorageError> {
    Ok(favourites::table
        .filter(favourites::account_id.eq(account_id))
        .filter(favourites::status_id.eq(status_id))
        .count()
        .get_result::<i64>(conn)?
        > 0)
}

/// Favourites of several statuses, as (status, count, whether `viewer` is among them), in one
/// grouped query; statuses with none are left out.
pub fn count_favourites_of(
    conn: &mut DbConn,
    status_ids: &[i64],
    viewer: Option<i64>,
) -> Result<Vec<(i64, i64, bool)>, StorageError> {
    let rows: Vec<(i64, i64, i64)> = favourites::table
        .filter(favourites::status_id.eq_any(status_ids))
        .group_by(favourites::status_id)
        .select((
            favourites::status_id,
            diesel::dsl::count_star(),
            crate::count_where_account!(viewer),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, n, mine)| (id, n, mine > 0))
        .collect())
}

/// `account_id`'s favourited statuses it may still see, as (favourite id, status), newest
/// favourite first: paged by the favourite's own id, as Mastodon does.
pub fn favourited(
    conn: &mut DbConn,
    account_id: i64,
    page: crate::statuses::Page,
) -> Result<Vec<(i64, crate::statuses::Status)>, StorageError> {
    let pairs = crate::statuses::marks_page!(conn, favourites, account_id, account_id, page);
    crate::statuses::visible_marked(conn, &pairs, Some(account_id))
}

/// The accounts that favourited a status, as (favourite id, account), newest first.
pub fn favouriters(
    conn: &mut DbConn,
    status_id: i64,
    page: crate::statuses::Page,
) -> Result<Vec<(i64, crate::accounts::Account)>, StorageError> {
    use crate::schema::accounts;
    let pairs = crate::statuses::marks_page!(conn, favourites, status_id, status_id, page);
    let ids: Vec<i64> = pairs.iter().map(|(id, _)| *id).collect();
    let mut found: std::collections::HashMap<i64, crate::accounts::Account> = favourites::table
        .inner_join(accounts::table.on(accounts::id.eq(favourites::account_id)))
        .filter(favourites::id.eq_any(ids))
        .select((favourites::id, crate::accounts::Account::as_select()))
        .load::<(i64, crate::accounts::Account)>(conn)?
        .into_iter()
        .collect();
    Ok(pairs
        .iter()
        .filter_map(|(id, _)| Some((*id, found.remove(id)?)))
        .collect())
}

/// Whether recording `ap_id` would be its first receipt (it was not seen yet).
pub fn first_receipt_would_be(conn: &mut DbConn, ap_id: &str) -> Result<bool, StorageError> {
    Ok(received_activities::table
        .find(ap_id)
        .count()
        .get_result::<i64>(conn)?
        == 0)
}

/// Records that an activity was received; false if it was seen before.
/// Call it inside the transaction that applies the activity, so both happen or neither.
pub fn first_receipt(conn: &mut DbConn, ap_id: &str) -> Result<bool, StorageError> {
    // ON CONFLICT rather than a failed insert, which would abort the transaction on PostgreSQL.
    let insert = diesel::insert_into(received_activities::table)
        .values((
            received_activities::ap_id.eq(ap_id),
            received_activities::received_at.eq(crate::now()),
        ))
        .on_conflict_do_nothing();
    let inserted = match conn {
        DbConn::Postgresql(pg) => insert.execute(pg)?,
        DbConn::Sqlite(lite) => insert.execute(lite)?,
    };
    Ok(inserted > 0)
}

/// Forgets up to `limit` received activity ids recorded before `before`; returns how many.
/// Ids must be kept as long as a sender may still deliver the same activity again (see the
/// caller for how long that is).
pub fn prune_received(
    conn: &mut DbConn,
    before: NaiveDateTime,
    limit: i64,
) -> Result<usize, StorageError> {
    let ids: Vec<String> = received_activities::table
        .filter(received_activities::received_at.lt(before))
        .select(received_activities::ap_id)
        .limit(limit)
        .load(conn)?;
    if ids.is_empty() {
        return Ok(0);
    }
    Ok(
        diesel::delete(received_activities::table.filter(received_activities::ap_id.eq_any(&ids)))
            .execute(conn)?,
    )
}

/// One notification by id, if it (still) exists.
pub fn notification_by_id(
    conn: &mut DbConn,
    id: i64,
) -> Result<Option<Notification>, StorageError> {
    use crate::OptionalExt;
    notifications::table
        .find(id)
        .select(Notification::as_select())
        .first(conn)
        .map_err(StorageError::from)
        .optional()
}
