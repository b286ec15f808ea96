//! The persistent outbox: activities recorded in the same transaction as the change that
//! caused them, one delivery row per remote inbox, claimed by workers with a lease.
//! On PostgreSQL, claims use `FOR UPDATE SKIP LOCKED`, so several Kith processes can work one
//! outbox without sending anything twice; on SQLite one process owns the file.
//!
//! A worker claims only what it can start at once (`ClaimLimits`: its free slots overall and
//! per host), so a lease never runs out while a delivery waits its turn; it renews the leases
//! of what it holds ([`renew_leases`]). Hosts marked unreachable (`instances`) get one
//! delivery at a time, no more often than their `next_try_at`. Sent activities are pruned
//! ([`prune_sent`]).

use crate::pool::DbConn;
use crate::schema::{deliveries, instances, outbox_activities};
use crate::StorageError;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use std::collections::{HashMap, HashSet};

/// A delivery claimed for sending.
#[derive(Debug, Clone)]
pub struct Claimed {
    /// Delivery row id.
    pub id: i64,
    /// Where to send.
    pub inbox_url: String,
    /// Its host (for per-host limits and health).
    pub host: String,
    /// Earlier tries.
    pub attempts: i32,
    /// The activity body.
    pub body: String,
    /// The activity's id.
    pub activity_ap_id: String,
    /// The local account that signs it.
    pub actor_account_id: i64,
}

/// Records an activity and one delivery per inbox. Inboxes of hosts marked unreachable are
/// still recorded; [`claim_due`] lets them out one at a time, at the host's `next_try_at`.
pub fn enqueue(
    conn: &mut DbConn,
    ap_id: &str,
    actor_account_id: i64,
    body: &str,
    inboxes: &[(String, String)],
) -> Result<i64, StorageError> {
    let now = crate::now();
    let activity_id = crate::id::new_id();
    diesel::insert_into(outbox_activities::table)
        .values((
            outbox_activities::id.eq(activity_id),
            outbox_activities::ap_id.eq(ap_id),
            outbox_activities::actor_account_id.eq(actor_account_id),
            outbox_activities::body.eq(body),
            outbox_activities::created_at.eq(now),
        ))
        .execute(conn)?;
    for (inbox, host) in inboxes {
        diesel::insert_into(deliveries::table)
            .values((
                deliveries::id.eq(crate::id::new_id()),
                deliveries::activity_id.eq(activity_id),
                deliveries::inbox_url.eq(inbox),
                deliveries::host.eq(host),
                deliveries::attempts.eq(0),
                deliveries::next_attempt_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(activity_id)
}

/// What a worker can start now.
#[derive(Debug, Clone, Default)]
pub struct ClaimLimits {
    /// Deliveries it may start in all.
    pub total: usize,
    /// Most deliveries in flight to one host.
    pub per_host: usize,
    /// Deliveries it holds already, per host.
    pub busy: HashMap<String, usize>,
    /// The deliveries it holds: never claimed again while held, even if their lease ran out.
    pub held: Vec<i64>,
    /// After a host marked unreachable is tried, the next try waits this long.
    pub unreachable_retry: chrono::Duration,
}

/// Claims due deliveries for `lease_secs` seconds, no more than `limits` allow: at most
/// `per_host` in flight to one host (counting `busy`), and one to a host marked unreachable,
/// whose `next_try_at` then moves `unreachable_retry` on (call inside `Db::write`).
pub fn claim_due(
    conn: &mut DbConn,
    now: NaiveDateTime,
    lease_secs: i64,
    limits: &ClaimLimits,
) -> Result<Vec<Claimed>, StorageError> {
    if limits.total == 0 {
        return Ok(Vec::new());
    }
    let full: Vec<&String> = limits
        .busy
        .iter()
        .filter(|(_, n)| **n >= limits.per_host)
        .map(|(h, _)| h)
        .collect();
    let resting = instances::table
        .filter(instances::unreachable.eq(true))
        .filter(instances::next_try_at.gt(now))
        .select(instances::host);
    // Enough candidates to fill every slot even if a few hosts come first.
    let scan = (limits.total * limits.per_host.max(1)).clamp(1, 4_096) as i64;
    let due = deliveries::table
        .filter(deliveries::next_attempt_at.le(now))
        .filter(
            deliveries::locked_until
                .is_null()
                .or(deliveries::locked_until.lt(now)),
        )
        .filter(deliveries::host.ne_all(full))
        .filter(deliveries::id.ne_all(&limits.held))
        .filter(deliveries::host.ne_all(resting))
        .order(deliveries::next_attempt_at.asc())
        .limit(scan)
        .select((deliveries::id, deliveries::host));
    let candidates: Vec<(i64, String)> = match conn {
        DbConn::Postgresql(pg) => due.for_update().skip_locked().load(pg)?,
        DbConn::Sqlite(lite) => due.load(lite)?,
    };
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let hosts: HashSet<&str> = candidates.iter().map(|(_, h)| h.as_str()).collect();
    let unreachable: HashSet<String> = instances::table
        .filter(instances::host.eq_any(hosts))
        .filter(instances::unreachable.eq(true))
        .select(instances::host)
        .load::<String>(conn)?
        .into_iter()
        .collect();
    let mut taken: HashMap<&str, usize> = HashMap::new();
    let mut ids = Vec::new();
    let mut probed = Vec::new();
    for (id, host) in &candidates {
        if ids.len() >= limits.total {
            break;
        }
        let busy = limits.busy.get(host).copied().unwrap_or(0);
        let n = taken.entry(host.as_str()).or_insert(0);
        let room = if unreachable.contains(host) {
            usize::from(busy == 0)
        } else {
            limits.per_host
        };
        if busy + *n < room {
            *n += 1;
            ids.push(*id);
            if unreachable.contains(host) {
                probed.push(host.clone());
            }
        }
    }
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    diesel::update(deliveries::table.filter(deliveries::id.eq_any(&ids)))
        .set(deliveries::locked_until.eq(now + chrono::Duration::seconds(lease_secs)))
        .execute(conn)?;
    if !probed.is_empty() {
        diesel::update(instances::table.filter(instances::host.eq_any(&probed)))
            .set(instances::next_try_at.eq(now + limits.unreachable_retry))
            .execute(conn)?;
    }
    let rows: Vec<(i64, String, String, i32, String, String, i64)> = deliveries::table
        .inner_join(outbox_activities::table)
        .filter(deliveries::id.eq_any(&ids))
        .select((
            deliveries::id,
            deliveries::inbox_url,
            deliveries::host,
            deliveries::attempts,
            outbox_activities::body,
            outbox_activities::ap_id,
            outbox_activities::actor_account_id,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, inbox_url, host, attempts, body, activity_ap_id, actor_account_id)| Claimed {
                id,
                inbox_url,
                host,
                attempts,
                body,
                activity_ap_id,
                actor_account_id,
            },
        )
        .collect())
}

/// Extends the leases of deliveries a worker still holds to `until` (those still claimed).
pub fn renew_leases(
    conn: &mut DbConn,
    ids: &[i64],
    until: NaiveDateTime,
) -> Result<usize, StorageError> {
    let mut n = 0;
    for chunk in ids.chunks(10_000) {
        n += diesel::update(
            deliveries::table
                .filter(deliveries::id.eq_any(chunk))
                .filter(deliveries::locked_until.is_not_null()),
        )
        .set(deliveries::locked_until.eq(until))
        .execute(conn)?;
    }
    Ok(n)
}

/// A delivery went through (or was refused for good): forget it. Host health is recorded
/// apart ([`mark_host_alive`]), so that bookkeeping can never undo the delete.
pub fn finish(conn: &mut DbConn, id: i64) -> Result<(), StorageError> {
    diesel::delete(deliveries::table.find(id)).execute(conn)?;
    Ok(())
}

/// Several deliveries are done with (one statement for all of them).
pub fn finish_many(conn: &mut DbConn, ids: &[i64]) -> Result<(), StorageError> {
    for chunk in ids.chunks(10_000) {
        diesel::delete(deliveries::table.filter(deliveries::id.eq_any(chunk))).execute(conn)?;
    }
    Ok(())
}

/// A delivery failed for now: try again at `next`.
pub fn retry_later(
    conn: &mut DbConn,
    id: i64,
    next: NaiveDateTime,
    error: &str,
) -> Result<(), StorageError> {
    diesel::update(deliveries::table.find(id))
        .set((
            deliveries::attempts.eq(deliveries::attempts + 1),
            deliveries::next_attempt_at.eq(next),
            deliveries::locked_until.eq(None::<NaiveDateTime>),
            deliveries::last_error.eq(error),
        ))
        .execute(conn)?;
    Ok(())
}

/// Deletes up to `limit` outbox activities that no delivery needs any more (sent, refused or
/// given up on everywhere); returns how many. Nothing reads an activity once its deliveries
/// are gone.
pub fn prune_sent(conn: &mut DbConn, limit: i64) -> Result<usize, StorageError> {
    let pending = deliveries::table.select(deliveries::activity_id);
    let ids: Vec<i64> = outbox_activities::table
        .filter(outbox_activities::id.ne_all(pending))
        .select(outbox_activities::id)
        .limit(limit)
        .load(conn)?;
    if ids.is_empty() {
        return Ok(0);
    }
    Ok(
        diesel::delete(outbox_activities::table.filter(outbox_activities::id.eq_any(&ids)))
            .execute(conn)?,
    )
}

/// Gives up on every delivery to `host`; returns how many there were.
pub fn drop_host(conn: &mut DbConn, host: &str) -> Result<usize, StorageError> {
    Ok(diesel::delete(deliveries::table.filter(deliveries::host.eq(host))).execute(conn)?)
}

/// Releases every claim: for a process that owns the outbox alone (SQLite) after a restart,
/// so deliveries that were in flight when it died go out at once instead of after the lease.
pub fn release_leases(conn: &mut DbConn) -> Result<usize, StorageError> {
    Ok(
        diesel::update(deliveries::table.filter(deliveries::locked_until.is_not_null()))
            .set(deliveries::locked_until.eq(None::<NaiveDateTime>))
            .execute(conn)?,
    )
}

/// Number of deliveries still waiting.
pub fn pending(conn: &mut DbConn) -> Result<i64, StorageError> {
    Ok(deliveries::table.count().get_result(conn)?)
}

/// Makes sure a row for `host` exists; several processes may race to make it.
fn ensure_host(conn: &mut DbConn, host: &str) -> Result<(), StorageError> {
    let insert = diesel::insert_into(instances::table)
        .values((instances::host.eq(host), instances::unreachable.eq(false)))
        .on_conflict_do_nothing();
    match conn {
        DbConn::Postgresql(pg) => insert.execute(pg)?,
        DbConn::Sqlite(lite) => insert.execute(lite)?,
    };
    Ok(())
}

/// Notes that `host` answered.
pub fn mark_host_alive(conn: &mut DbConn, host: &str) -> Result<(), StorageError> {
    ensure_host(conn, host)?;
    diesel::update(instances::table.find(host))
        .set((
            instances::failing_since.eq(None::<NaiveDateTime>),
            instances::unreachable.eq(false),
            instances::next_try_at.eq(None::<NaiveDateTime>),
            instances::last_success_at.eq(crate::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// A host's health after a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failing {
    /// Since when it has failed without a success between.
    pub since: NaiveDateTime,
    /// Whether it is marked unreachable.
    pub unreachable: bool,
}

/// Notes a failure for `host`; once it has failed for longer than `unreachable_after`, it is
/// marked unreachable, and from then on it is tried again only after `retry` (see
/// [`claim_due`]).
pub fn mark_host_failing(
    conn: &mut DbConn,
    host: &str,
    now: NaiveDateTime,
    unreachable_after: chrono::Duration,
    retry: chrono::Duration,
) -> Result<Failing, StorageError> {
    ensure_host(conn, host)?;
    let current: Option<Option<NaiveDateTime>> = instances::table
        .find(host)
        .select(instances::failing_since)
        .first(conn)
        .optional()?;
    let since = match current.flatten() {
        Some(since) => since,
        None => {
            diesel::update(instances::table.find(host))
                .set(instances::failing_since.eq(now))
                .execute(conn)?;
            now
        }
    };
    let unreachable = now - since > unreachable_after;
    if unreachable {
        diesel::update(instances::table.find(host))
            .set((
                instances::unreachable.eq(true),
                instances::next_try_at.eq(now + retry),
            ))
            .execute(conn)?;
    }
    Ok(Failing { since, unreachable })
}

/// Whether a host is marked unreachable.
pub fn is_unreachable(conn: &mut DbConn, host: &str) -> Result<bool, StorageError> {
    Ok(instances::table
        .find(host)
        .select(instances::unreachable)
        .first(conn)
        .optional()?
        .unwrap_or(false))
}
