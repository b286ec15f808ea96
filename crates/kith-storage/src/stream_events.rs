//! Streaming events, recorded in the transaction of the change that causes them and read,
//! after it commits, by each process's streaming hub (`kith_api::streaming`).
//!
//! - PostgreSQL: [`record`] issues `pg_notify('kith_stream', payload)` in the transaction;
//!   PostgreSQL delivers it at commit, in commit order, to every listening process, so a
//!   client connected to any Kith process sharing the database hears of it. Each process
//!   has one listening connection ([`subscribe`], on `tokio-postgres`).
//! - SQLite (one server process): [`record`] inserts a row into `stream_events`; the hub reads
//!   new rows after each commit of the writer (`Db::commits`), and every second for what other
//!   processes (`kith admin` commands) wrote, and deletes what it has read (in batches, and at
//!   start).
//!
//! An event names only ids; the hub loads and renders what it names per recipient, so the
//! visibility rule is applied to each viewer as for any read.

use crate::schema::stream_events;
use crate::{Backend, Db, DbConn, StorageError};
use diesel::prelude::*;
use std::time::Duration;
use tokio::sync::mpsc;

/// The PostgreSQL channel events are sent on.
const CHANNEL: &str = "kith_stream";

/// Something clients may be told about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A status was distributed (a new post or boost).
    Status(i64),
    /// A status was edited.
    Edit(i64),
    /// A status was deleted: its id, author and whether it was public.
    Delete {
        status: i64,
        author: i64,
        public: bool,
    },
    /// A notification was stored for a (local) account.
    Notification { id: i64, account: i64 },
    /// A (local) account's filters changed (`filters_changed` on its user stream).
    FiltersChanged { account: i64 },
    /// A (local) account's direct-message conversation got a new message.
    Conversation { id: i64, account: i64 },
    /// An announcement began to show (`announcement` on every `user` stream).
    Announcement(i64),
    /// An announcement was withdrawn (`announcement.delete`).
    AnnouncementDelete(i64),
    /// Someone reacted to an announcement, or took a reaction back
    /// (`announcement.reaction`, with the name's new count). `name` is an emoji: no spaces.
    AnnouncementReaction { id: i64, name: String },
}

impl Event {
    /// The compact text form sent through the database.
    pub fn encode(&self) -> String {
        match self {
            Event::Status(id) => format!("s {id}"),
            Event::Edit(id) => format!("e {id}"),
            Event::Delete {
                status,
                author,
                public,
            } => format!("d {status} {author} {}", u8::from(*public)),
            Event::Notification { id, account } => format!("n {id} {account}"),
            Event::FiltersChanged { account } => format!("f {account}"),
            Event::Conversation { id, account } => format!("c {id} {account}"),
            Event::Announcement(id) => format!("an {id}"),
            Event::AnnouncementDelete(id) => format!("ad {id}"),
            Event::AnnouncementReaction { id, name } => format!("ar {id} {name}"),
        }
    }

    /// Reads [`Event::encode`]'s form; `None` for anything else.
    pub fn decode(text: &str) -> Option<Event> {
        let mut parts = text.split(' ');
        let kind = parts.next()?;
        if kind == "ar" {
            let id = parts.next()?.parse::<i64>().ok()?;
            let name = parts.next().filter(|n| !n.is_empty())?.to_owned();
            return parts
                .next()
                .is_none()
                .then_some(Event::AnnouncementReaction { id, name });
        }
        let mut num = || parts.next()?.parse::<i64>().ok();
        let event = match kind {
            "s" => Event::Status(num()?),
            "e" => Event::Edit(num()?),
            "d" => Event::Delete {
                status: num()?,
                author: num()?,
                public: num()? == 1,
            },
            "n" => Event::Notification {
                id: num()?,
                account: num()?,
            },
            "f" => Event::FiltersChanged { account: num()? },
            "c" => Event::Conversation {
                id: num()?,
                account: num()?,
            },
            "an" => Event::Announcement(num()?),
            "ad" => Event::AnnouncementDelete(num()?),
            _ => return None,
        };
        Some(event)
    }
}

/// Records `event` in the caller's transaction: it reaches the hubs only if that commits.
pub fn record(conn: &mut DbConn, event: Event) -> Result<(), StorageError> {
    let payload = event.encode();
    match conn {
        DbConn::Postgresql(c) => {
            diesel::sql_query("SELECT pg_notify($1, $2)")
                .bind::<diesel::sql_types::Text, _>(CHANNEL)
                .bind::<diesel::sql_types::Text, _>(payload)
                .execute(c)?;
        }
        DbConn::Sqlite(c) => {
            diesel::insert_into(stream_events::table)
                .values(stream_events::payload.eq(payload))
                .execute(c)?;
        }
    }
    Ok(())
}

/// The events committed from now on, in commit order, for this process's hub. Returns once
/// the listener is in place (on PostgreSQL, once `LISTEN` has been answered), so that any
/// write that commits afterwards is heard. Call it once per process.
pub async fn subscribe(db: &Db) -> Result<mpsc::Receiver<Event>, StorageError> {
    let (tx, rx) = mpsc::channel(1024);
    match db.backend() {
        Backend::Postgres => {
            let url = db.url().to_owned();
            let first = pg_listen(&url, tx.clone()).await?;
            tokio::spawn(async move {
                let mut running = first;
                loop {
                    let _ = running.await;
                    if tx.is_closed() {
                        return;
                    }
                    tracing::warn!("streaming listener connection lost; reconnecting");
                    loop {
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        match pg_listen(&url, tx.clone()).await {
                            Ok(next) => {
                                running = next;
                                break;
                            }
                            Err(e) => {
                                tracing::warn!(error = %e, "cannot listen for streaming events")
                            }
                        }
                    }
                }
            });
        }
        Backend::Sqlite => {
            let db = db.clone();
            let mut commits = db.commits();
            let mut cursor = db
                .read(|c| {
                    Ok(stream_events::table
                        .select(diesel::dsl::max(stream_events::id))
                        .first::<Option<i64>>(c)?
                        .unwrap_or(0))
                })
                .await?;
            // Events left by an earlier run are past: nobody connected then is now.
            db.write(move |c| prune(c, cursor)).await?;
            tokio::spawn(async move {
                let mut unpruned = 0;
                // Another process (a `kith admin` command) may write too: its commits are
                // not this writer's, so the table is also read every `FOREIGN_POLL`.
                let mut tick = tokio::time::interval(FOREIGN_POLL);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tokio::select! {
                        changed = commits.changed() => if changed.is_err() { return },
                        _ = tick.tick() => if tx.is_closed() { return },
                    }
                    let after = cursor;
                    let rows: Vec<(i64, String)> = match db
                        .read(move |c| {
                            Ok(stream_events::table
                                .filter(stream_events::id.gt(after))
                                .order(stream_events::id)
                                .select((stream_events::id, stream_events::payload))
                                .load(c)?)
                        })
                        .await
                    {
                        Ok(rows) => rows,
                        Err(e) => {
                            tracing::warn!(error = %e, "cannot read streaming events");
                            continue;
                        }
                    };
                    let Some(&(last, _)) = rows.last() else {
                        continue;
                    };
                    cursor = last;
                    unpruned += rows.len();
                    for (_, payload) in rows {
                        if let Some(event) = Event::decode(&payload) {
                            if tx.send(event).await.is_err() {
                                return;
                            }
                        }
                    }
                    // Read rows are deleted in batches, not after every commit: each delete
                    // is a write of its own.
                    if unpruned >= PRUNE_EVERY {
                        unpruned = 0;
                        if let Err(e) = db.write(move |c| prune(c, last)).await {
                            tracing::warn!(error = %e, "cannot prune streaming events");
                        }
                    }
                }
            });
        }
    }
    Ok(rx)
}

/// How many events the SQLite reader reads between deletions of read rows.
const PRUNE_EVERY: usize = 256;

/// How often the SQLite hub looks for events written by other processes.
const FOREIGN_POLL: Duration = Duration::from_secs(1);

/// Deletes the SQLite events up to `last` (read already).
fn prune(c: &mut DbConn, last: i64) -> Result<(), StorageError> {
    diesel::delete(stream_events::table.filter(stream_events::id.le(last))).execute(c)?;
    Ok(())
}

/// Connects, listens on [`CHANNEL`] and forwards notifications to `tx`; returns the task that
/// drives the connection, which ends when it breaks (or `tx` closes).
async fn pg_listen(
    url: &str,
    tx: mpsc::Sender<Event>,
) -> Result<tokio::task::JoinHandle<()>, StorageError> {
    use futures::StreamExt;
    let (client, mut connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .map_err(|e| StorageError::Unavailable(format!("streaming listener: {e}")))?;
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let mut messages = futures::stream::poll_fn(move |cx| connection.poll_message(cx));
        // The client must live as long as the connection is driven.
        let client = client;
        let statement = format!("LISTEN {CHANNEL}");
        let listen = client.batch_execute(&statement);
        tokio::pin!(listen);
        let mut ready = Some(ready_tx);
        loop {
            tokio::select! {
                done = &mut listen, if ready.is_some() => {
                    match done {
                        Ok(()) => { if let Some(r) = ready.take() { let _ = r.send(()); } }
                        Err(e) => { tracing::warn!(error = %e, "LISTEN failed"); return; }
                    }
                }
                message = messages.next() => match message {
                    Some(Ok(tokio_postgres::AsyncMessage::Notification(n))) => {
                        if let Some(event) = Event::decode(n.payload()) {
                            if tx.send(event).await.is_err() {
                                return;
                            }
                        }
                    }
                    Some(Ok(_)) => {}
                    Some(Err(e)) => { tracing::warn!(error = %e, "streaming listener failed"); return; }
                    None => return,
                },
            }
        }
    });
    ready_rx
        .await
        .map_err(|_| StorageError::Unavailable("streaming listener: LISTEN failed".into()))?;
    Ok(task)
}

#[cfg(test)]
mod tests {
    use super::Event;

    #[test]
    fn events_round_trip_and_garbage_is_refused() {
        for e in [
            Event::Status(1),
            Event::Edit(-2),
            Event::Delete {
                status: 3,
                author: 4,
                public: true,
            },
            Event::Notification { id: 5, account: 6 },
            Event::Conversation { id: 7, account: 8 },
            Event::Announcement(9),
            Event::AnnouncementDelete(10),
            Event::AnnouncementReaction {
                id: 11,
                name: "👩‍💻".into(),
            },
        ] {
            assert_eq!(Event::decode(&e.encode()), Some(e));
        }
        for bad in [
            "",
            "s",
            "s x",
            "x 1",
            "d 1 2",
            "n 1",
            "c 1",
            "an",
            "ar 1",
            "ar 1 ",
            "ar x 👍",
            "ar 1 a b",
        ] {
            assert_eq!(Event::decode(bad), None, "{bad}");
        }
    }
}
