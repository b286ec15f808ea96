//! Polls and their votes. A poll belongs to one status (deleted with it). Its counts are kept on
//! the row (`counts`, `voters_count`): for a local poll recounted from `poll_votes` at each
//! vote, for a remote poll as its author's server last said (plus the votes cast here since).
//! The poll job claims rows to close (`claim_close`) and to federate (`claim_federate`) with
//! one conditional `UPDATE` each, so among several processes exactly one does each.

use crate::pool::DbConn;
use crate::schema::{poll_votes, polls};
use crate::StorageError;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// One poll.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Identifiable, Insertable)]
#[diesel(table_name = polls)]
pub struct Poll {
    pub id: i64,
    pub status_id: i64,
    /// The option titles, as a JSON array of strings (see [`Poll::titles`]).
    pub options: String,
    /// The votes per option, as a JSON array of integers (see [`Poll::counts`]).
    pub counts: String,
    /// Distinct voters, when known.
    pub voters_count: Option<i64>,
    pub multiple: bool,
    pub hide_totals: bool,
    pub expires_at: Option<NaiveDateTime>,
    /// Set once the poll has ended (by the poll job at expiry, or by its remote author).
    pub closed: bool,
    /// When the poll job should send this local poll's counts (`Update(Question)`).
    pub federate_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
}

impl Poll {
    /// The option titles.
    pub fn titles(&self) -> Vec<String> {
        serde_json::from_str(&self.options).unwrap_or_default()
    }

    /// The votes per option, one per title (missing ones 0).
    pub fn counts(&self) -> Vec<i64> {
        let mut counts: Vec<i64> = serde_json::from_str(&self.counts).unwrap_or_default();
        counts.resize(self.titles().len(), 0);
        counts
    }

    /// Whether the poll has ended at `now`: closed, or past its end.
    pub fn is_expired(&self, now: NaiveDateTime) -> bool {
        self.closed || self.expires_at.is_some_and(|e| e <= now)
    }

    /// Encodes option titles for [`Poll::options`].
    pub fn encode_titles(titles: &[String]) -> String {
        serde_json::Value::from(titles.to_vec()).to_string()
    }

    /// Encodes counts for [`Poll::counts`].
    pub fn encode_counts(counts: &[i64]) -> String {
        serde_json::Value::from(counts.to_vec()).to_string()
    }
}

/// One choice one voter made.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = poll_votes)]
pub struct Vote {
    pub id: i64,
    pub poll_id: i64,
    pub account_id: i64,
    pub choice: i32,
    pub ap_id: Option<String>,
    pub created_at: NaiveDateTime,
}

/// Stores a new poll.
pub fn insert(conn: &mut DbConn, poll: &Poll) -> Result<(), StorageError> {
    diesel::insert_into(polls::table)
        .values(poll)
        .execute(conn)?;
    Ok(())
}

/// The poll with this id.
pub fn by_id(conn: &mut DbConn, id: i64) -> Result<Poll, StorageError> {
    Ok(polls::table
        .find(id)
        .select(Poll::as_select())
        .first(conn)?)
}

/// The poll of a status, if it has one.
pub fn of_status(conn: &mut DbConn, status_id: i64) -> Result<Option<Poll>, StorageError> {
    Ok(polls::table
        .filter(polls::status_id.eq(status_id))
        .select(Poll::as_select())
        .first(conn)
        .optional()?)
}

/// The polls of these statuses (any order).
pub fn of_statuses(conn: &mut DbConn, status_ids: &[i64]) -> Result<Vec<Poll>, StorageError> {
    if status_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(polls::table
        .filter(polls::status_id.eq_any(status_ids))
        .select(Poll::as_select())
        .load(conn)?)
}

/// Holds the poll's row until the transaction ends, so that concurrent votes on it are checked
/// and counted one after another (PostgreSQL; SQLite's writes are serial already).
pub fn lock(conn: &mut DbConn, id: i64) -> Result<(), StorageError> {
    if let DbConn::Postgresql(pg) = conn {
        polls::table
            .find(id)
            .select(polls::id)
            .for_no_key_update()
            .load::<i64>(pg)?;
    }
    Ok(())
}

/// The choices `account_id` made in these polls, as (poll id, choice).
pub fn choices_among(
    conn: &mut DbConn,
    poll_ids: &[i64],
    account_id: i64,
) -> Result<Vec<(i64, i32)>, StorageError> {
    if poll_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(poll_votes::table
        .filter(poll_votes::poll_id.eq_any(poll_ids))
        .filter(poll_votes::account_id.eq(account_id))
        .order(poll_votes::choice)
        .select((poll_votes::poll_id, poll_votes::choice))
        .load(conn)?)
}

/// Stores a vote unless the same voter already chose that option; returns whether it did.
pub fn insert_vote(conn: &mut DbConn, vote: &Vote) -> Result<bool, StorageError> {
    let insert = diesel::insert_into(poll_votes::table)
        .values(vote)
        .on_conflict_do_nothing();
    let inserted = match conn {
        DbConn::Postgresql(pg) => insert.execute(pg)?,
        DbConn::Sqlite(lite) => insert.execute(lite)?,
    };
    Ok(inserted > 0)
}

/// The votes stored for a poll: per choice (`options` long), and distinct voters.
pub fn tally(
    conn: &mut DbConn,
    poll_id: i64,
    options: usize,
) -> Result<(Vec<i64>, i64), StorageError> {
    let rows: Vec<(i64, i32)> = poll_votes::table
        .filter(poll_votes::poll_id.eq(poll_id))
        .select((poll_votes::account_id, poll_votes::choice))
        .load(conn)?;
    let mut counts = vec![0i64; options];
    let mut voters: Vec<i64> = Vec::new();
    for (account, choice) in rows {
        if let Some(c) = usize::try_from(choice).ok().and_then(|i| counts.get_mut(i)) {
            *c += 1;
        }
        voters.push(account);
    }
    voters.sort_unstable();
    voters.dedup();
    Ok((counts, voters.len() as i64))
}

/// Distinct accounts that voted in a poll.
pub fn voter_ids(conn: &mut DbConn, poll_id: i64) -> Result<Vec<i64>, StorageError> {
    Ok(poll_votes::table
        .filter(poll_votes::poll_id.eq(poll_id))
        .select(poll_votes::account_id)
        .distinct()
        .load(conn)?)
}

/// Sets a poll's counts; `federate_at`, when given, is kept if an earlier one is pending (so a
/// stream of votes is sent as one `Update` after the first vote's delay).
pub fn set_counts(
    conn: &mut DbConn,
    id: i64,
    counts: &[i64],
    voters: Option<i64>,
    federate_at: Option<NaiveDateTime>,
) -> Result<(), StorageError> {
    diesel::update(polls::table.find(id))
        .set((
            polls::counts.eq(Poll::encode_counts(counts)),
            polls::voters_count.eq(voters),
            polls::updated_at.eq(crate::now()),
        ))
        .execute(conn)?;
    if let Some(at) = federate_at {
        diesel::update(polls::table.find(id).filter(polls::federate_at.is_null()))
            .set(polls::federate_at.eq(at))
            .execute(conn)?;
    }
    Ok(())
}

/// What a remote author's server says of its poll now.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteState {
    pub counts: Vec<i64>,
    pub voters_count: Option<i64>,
    /// Its end (for a poll its server says is closed, when it closed): the poll job closes it
    /// then, and tells the local voters.
    pub expires_at: Option<NaiveDateTime>,
}

/// Applies a remote poll's new state (counts, end).
pub fn set_remote_state(
    conn: &mut DbConn,
    id: i64,
    state: &RemoteState,
) -> Result<(), StorageError> {
    diesel::update(polls::table.find(id))
        .set((
            polls::counts.eq(Poll::encode_counts(&state.counts)),
            polls::voters_count.eq(state.voters_count),
            polls::expires_at.eq(state.expires_at),
            polls::updated_at.eq(crate::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// A poll's options as an edit leaves them.
#[derive(Debug, Clone, PartialEq)]
pub struct Revision {
    pub titles: Vec<String>,
    pub multiple: bool,
    pub hide_totals: bool,
    pub expires_at: Option<NaiveDateTime>,
}

impl Revision {
    /// Whether this revision changes what was voted on (the options or single/multiple
    /// choice), which voids the votes, as Mastodon's edit does.
    pub fn voids_votes_of(&self, poll: &Poll) -> bool {
        self.titles != poll.titles() || self.multiple != poll.multiple
    }
}

/// Applies an edit to a poll. When it voids the votes (`Revision::voids_votes_of`) they are
/// deleted and the counts start again from zero (and the poll is open again); otherwise the
/// votes and counts stay (and an ended poll keeps its end). Returns whether the votes were voided.
pub fn revise(conn: &mut DbConn, poll: &Poll, to: &Revision) -> Result<bool, StorageError> {
    let voided = to.voids_votes_of(poll);
    // An ended poll whose votes stand stays ended where it ended.
    let expires_at = if poll.closed && !voided {
        poll.expires_at
    } else {
        to.expires_at
    };
    diesel::update(polls::table.find(poll.id))
        .set((
            polls::options.eq(Poll::encode_titles(&to.titles)),
            polls::multiple.eq(to.multiple),
            polls::hide_totals.eq(to.hide_totals),
            polls::expires_at.eq(expires_at),
            polls::updated_at.eq(crate::now()),
        ))
        .execute(conn)?;
    if voided {
        diesel::delete(poll_votes::table.filter(poll_votes::poll_id.eq(poll.id))).execute(conn)?;
        diesel::update(polls::table.find(poll.id))
            .set((
                polls::counts.eq(Poll::encode_counts(&vec![0; to.titles.len()])),
                polls::voters_count.eq(Some(0)),
                polls::closed.eq(false),
                polls::federate_at.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)?;
    }
    Ok(voided)
}

/// Deletes a poll and its votes (an edit that removes it).
pub fn remove(conn: &mut DbConn, id: i64) -> Result<(), StorageError> {
    diesel::delete(poll_votes::table.filter(poll_votes::poll_id.eq(id))).execute(conn)?;
    diesel::delete(polls::table.find(id)).execute(conn)?;
    Ok(())
}

/// Open polls whose end has passed at `now`, oldest first, at most `limit`.
pub fn due_to_close(
    conn: &mut DbConn,
    now: NaiveDateTime,
    limit: i64,
) -> Result<Vec<i64>, StorageError> {
    Ok(polls::table
        .filter(polls::closed.eq(false))
        .filter(polls::expires_at.le(now))
        .order(polls::expires_at)
        .limit(limit)
        .select(polls::id)
        .load(conn)?)
}

/// Closes a poll if it is still open; returns whether this call closed it (exactly one caller
/// among concurrent ones does).
pub fn claim_close(conn: &mut DbConn, id: i64) -> Result<bool, StorageError> {
    let n = diesel::update(polls::table.find(id).filter(polls::closed.eq(false)))
        .set((polls::closed.eq(true), polls::updated_at.eq(crate::now())))
        .execute(conn)?;
    Ok(n > 0)
}

/// Local polls whose counts are due to be sent at `now`, at most `limit`.
pub fn due_to_federate(
    conn: &mut DbConn,
    now: NaiveDateTime,
    limit: i64,
) -> Result<Vec<i64>, StorageError> {
    Ok(polls::table
        .filter(polls::federate_at.le(now))
        .order(polls::federate_at)
        .limit(limit)
        .select(polls::id)
        .load(conn)?)
}

/// Takes a poll's pending send if it is (still) due at `now`; returns whether this call took it.
pub fn claim_federate(
    conn: &mut DbConn,
    id: i64,
    now: NaiveDateTime,
) -> Result<bool, StorageError> {
    let n = diesel::update(polls::table.find(id).filter(polls::federate_at.le(now)))
        .set(polls::federate_at.eq(None::<NaiveDateTime>))
        .execute(conn)?;
    Ok(n > 0)
}

/// Moves a poll's end (tests and the remote `endTime` use it).
pub fn set_expires_at(
    conn: &mut DbConn,
    id: i64,
    at: Option<NaiveDateTime>,
) -> Result<(), StorageError> {
    diesel::update(polls::table.find(id))
        .set(polls::expires_at.eq(at))
        .execute(conn)?;
    Ok(())
}
