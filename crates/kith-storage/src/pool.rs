//! Connections: one pool type over SQLite (the embedded default) and PostgreSQL, chosen by the
//! database URL, with migrations embedded for each backend.
//!
//! Diesel is blocking, so every query runs off the async threads: reads on tokio's blocking pool
//! through [`Db::read`], writes through [`Db::write`]. SQLite allows one writer at a time, so on
//! SQLite every write goes to one writer thread that **commits in groups**: it takes whatever
//! writes are queued (up to [`MAX_GROUP`]), runs each in its own savepoint inside one
//! transaction, commits once, and only then answers each caller. A write that fails rolls back
//! its own savepoint and nothing else; a failed commit fails the whole group. Nothing waits on
//! `SQLITE_BUSY` inside the process, and `busy_timeout` covers other processes (the CLI). The
//! writer does not checkpoint the WAL (that caused latency spikes inside the single writer);
//! a checkpointer thread does, beside it.
//!
//! On PostgreSQL writes run in parallel on pooled connections, each in its own transaction,
//! and **share WAL flushes** instead: each commits with `synchronous_commit = off`, then waits
//! for the flusher thread, which takes every waiter queued and makes one synchronous commit
//! (an update of `wal_barrier`). WAL is flushed in order, so once that commit is durable every
//! write committed before it is too; only then is the caller answered. A crash can lose a
//! write whose caller was never answered (and which others may briefly have read), never one
//! that was acknowledged.

use crate::StorageError;
use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool, PooledConnection};
use diesel::{Connection, PgConnection, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::sync::mpsc;
use std::time::Duration;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// A connection to either backend. Queries written against the shared schema run on both.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    /// PostgreSQL, for larger instances and several Kith processes on one database.
    Postgresql(PgConnection),
    /// SQLite, the embedded default.
    Sqlite(SqliteConnection),
}

/// Which database a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite file.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

impl Backend {
    /// The backend a database URL names: `postgres://` / `postgresql://` for PostgreSQL,
    /// `sqlite://PATH`, `sqlite:PATH` or a bare path for SQLite.
    pub fn of_url(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

/// Strips a `sqlite:` or `sqlite://` prefix, leaving the file path SQLite wants.
fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url)
}

#[derive(Debug)]
struct ConnectionSetup;

impl CustomizeConnection<DbConn, diesel::r2d2::Error> for ConnectionSetup {
    fn on_acquire(&self, conn: &mut DbConn) -> Result<(), diesel::r2d2::Error> {
        if let DbConn::Postgresql(c) = conn {
            // Pooled connections commit without waiting for the WAL flush; `Db::write` then
            // waits for the flusher (module documentation). Set once per connection rather
            // than per transaction, which was a round trip per write.
            c.batch_execute("SET synchronous_commit = off")
                .map_err(diesel::r2d2::Error::QueryError)?;
        }
        if let DbConn::Sqlite(c) = conn {
            // busy_timeout first, so that the pragmas after it wait instead of failing.
            c.batch_execute(
                "PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL; \
                 PRAGMA foreign_keys = ON;",
            )
            .map_err(diesel::r2d2::Error::QueryError)?;
        }
        Ok(())
    }
}

/// The most writes the SQLite writer commits in one transaction.
pub(crate) const MAX_GROUP: usize = 256;

/// What a queued write hands back once it has run in its savepoint: a completion that takes
/// the group's commit outcome and answers the caller.
type Completion = Box<dyn FnOnce(Result<(), String>) + Send>;
/// A write queued for the SQLite writer thread.
type Job = Box<dyn FnOnce(&mut DbConn) -> Completion + Send>;

/// A pooled database handle; cheap to clone.
#[derive(Clone)]
pub struct Db {
    pool: Pool<ConnectionManager<DbConn>>,
    backend: Backend,
    /// The SQLite writer thread's queue; `None` on PostgreSQL.
    writer: Option<mpsc::Sender<Job>>,
    /// The PostgreSQL WAL flusher's queue of waiting writers; `None` on SQLite.
    flusher: Option<mpsc::Sender<Completion>>,
    /// Bumped by the SQLite writer after each commit, so that `stream_events` reads new
    /// events only then (unused on PostgreSQL, which has NOTIFY).
    commits: std::sync::Arc<tokio::sync::watch::Sender<u64>>,
    /// The URL the pool connects to (for `stream_events`' PostgreSQL listener).
    url: std::sync::Arc<str>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("backend", &self.backend)
            .finish()
    }
}

/// Pooled connection handed to closures.
pub type PooledConn = PooledConnection<ConnectionManager<DbConn>>;

impl Db {
    /// Opens a pool for `url` and checks that one connection works. Blocking: call it before
    /// the async runtime starts or from a blocking task.
    pub fn connect(url: &str, max_connections: u32) -> Result<Db, StorageError> {
        let backend = Backend::of_url(url);
        let manager_url = match backend {
            Backend::Postgres => {
                // Connect once directly: the pool opens connections lazily, and its errors
                // would hide libpq's reason (refused, bad password, no such database).
                PgConnection::establish(url)
                    .map_err(|e| StorageError::Unavailable(e.to_string().trim().to_owned()))?;
                url.to_owned()
            }
            Backend::Sqlite => {
                let path = sqlite_path(url);
                if path.is_empty() || path == ":memory:" {
                    // Each pooled connection would get its own empty database.
                    return Err(StorageError::BadUrl(
                        "in-memory SQLite is not supported; give a file path".into(),
                    ));
                }
                if let Some(parent) = std::path::Path::new(path).parent() {
                    if !parent.as_os_str().is_empty() {
                        std::fs::create_dir_all(parent).map_err(|e| {
                            StorageError::Unavailable(format!("cannot create {parent:?}: {e}"))
                        })?;
                    }
                }
                // WAL is a property of the file: set it once, here, rather than racing on it
                // from every new pooled connection.
                let mut first = SqliteConnection::establish(path)
                    .map_err(|e| StorageError::Unavailable(format!("cannot open {path}: {e}")))?;
                first
                    .batch_execute("PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL;")
                    .map_err(|e| {
                        StorageError::Unavailable(format!("cannot enable WAL on {path}: {e}"))
                    })?;
                path.to_owned()
            }
        };
        let commits = std::sync::Arc::new(tokio::sync::watch::Sender::new(0u64));
        let (writer, flusher) = match backend {
            Backend::Sqlite => (
                Some(spawn_sqlite_writer(&manager_url, commits.clone())?),
                None,
            ),
            Backend::Postgres => (None, Some(spawn_pg_flusher(&manager_url)?)),
        };
        let url: std::sync::Arc<str> = url.into();
        let manager = ConnectionManager::<DbConn>::new(manager_url);
        let mut builder = Pool::builder()
            .max_size(max_connections.max(1))
            // No connections opened ahead of demand: a background connect still in progress
            // when a short command exits races libpq's TLS against OpenSSL's teardown (seen as
            // a crash at exit on PostgreSQL).
            .min_idle(Some(0))
            .connection_timeout(Duration::from_secs(10))
            // No `SELECT 1` before every use: it was a round trip per request. A connection
            // that broke (the server restarted) fails its query, is seen as broken and dropped.
            .test_on_check_out(false);
        builder = builder.connection_customizer(Box::new(ConnectionSetup));
        let pool = builder
            .build(manager)
            .map_err(|e| StorageError::Unavailable(e.to_string()))?;
        Ok(Db {
            pool,
            backend,
            writer,
            flusher,
            commits,
            url,
        })
    }

    /// Which backend this pool talks to.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The URL this pool connects to.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A receiver that changes after each commit of the SQLite writer (never on PostgreSQL).
    pub fn commits(&self) -> tokio::sync::watch::Receiver<u64> {
        self.commits.subscribe()
    }

    /// A connection from the pool (blocking).
    pub fn conn(&self) -> Result<PooledConn, StorageError> {
        self.pool
            .get()
            .map_err(|e| StorageError::Unavailable(e.to_string()))
    }

    /// Applies pending migrations for this backend; returns the names of those applied.
    pub fn migrate(&self) -> Result<Vec<String>, StorageError> {
        let mut conn = self.conn()?;
        if self.backend == Backend::Postgres {
            // Migrations are not written through `Db::write`: make them durable themselves.
            conn.batch_execute("SET synchronous_commit = on")?;
        }
        let source = match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS,
            Backend::Postgres => POSTGRES_MIGRATIONS,
        };
        let applied: Result<Vec<String>, StorageError> = conn
            .run_pending_migrations(source)
            .map(|done| done.iter().map(|v| v.to_string()).collect())
            .map_err(|e| StorageError::Migration(e.to_string()));
        if self.backend == Backend::Postgres {
            conn.batch_execute("SET synchronous_commit = off")?;
        }
        applied
    }

    /// Runs read-only work on the blocking pool.
    pub async fn read<T, F>(&self, f: F) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, StorageError> + Send + 'static,
    {
        let db = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = db.conn()?;
            f(&mut conn)
        })
        .await
        .map_err(|e| StorageError::Task(e.to_string()))?
    }

    /// Runs `f` in one transaction on the blocking pool: all of it is written, or none.
    pub async fn write<T, F>(&self, f: F) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, StorageError> + Send + 'static,
    {
        let db = self.clone();
        if let Some(writer) = &db.writer {
            // Queue it for the writer thread and wait without holding a blocking thread.
            let (tx, rx) = tokio::sync::oneshot::channel();
            writer
                .send(job(f, move |r| {
                    let _ = tx.send(r);
                }))
                .map_err(|_| StorageError::Task("the SQLite writer has stopped".into()))?;
            return rx
                .await
                .map_err(|_| StorageError::Task("the write panicked".into()))?;
        }
        let flusher = db.flusher.clone();
        let value = tokio::task::spawn_blocking(move || db.commit_unflushed(f))
            .await
            .map_err(|e| StorageError::Task(e.to_string()))??;
        if let Some(flusher) = flusher {
            let (tx, rx) = tokio::sync::oneshot::channel();
            flusher
                .send(Box::new(move |r| {
                    let _ = tx.send(r);
                }))
                .map_err(|_| StorageError::Task("the WAL flusher has stopped".into()))?;
            rx.await
                .map_err(|_| StorageError::Task("the WAL flusher has stopped".into()))?
                .map_err(StorageError::Unavailable)?;
        }
        Ok(value)
    }

    /// Like [`Db::write`], for one statement whose loss in a crash does no harm (request
    /// counters): on PostgreSQL it runs on its own (a single statement commits by itself: no
    /// `BEGIN`/`COMMIT` round trips) and answers without waiting for the WAL flush; on SQLite
    /// it goes through the writer thread as every write does. `f` must write with one
    /// statement, or with several that may commit separately.
    pub async fn write_volatile<T, F>(&self, f: F) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, StorageError> + Send + 'static,
    {
        if self.writer.is_some() {
            return self.write(f).await;
        }
        let db = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = db.conn()?;
            f(&mut conn)
        })
        .await
        .map_err(|e| StorageError::Task(e.to_string()))?
    }

    /// PostgreSQL: runs `f` in a transaction that commits without waiting for its WAL flush
    /// (the caller must wait for the flusher before reporting success).
    fn commit_unflushed<T, F>(&self, f: F) -> Result<T, StorageError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, StorageError>,
    {
        let mut conn = self.conn()?;
        // Pooled PostgreSQL connections commit asynchronously (see `ConnectionSetup`).
        conn.transaction(|c: &mut PooledConn| f(c))
    }

    /// The blocking form of [`Db::write`], for the command line and tests. Do not call it
    /// from inside another write: on SQLite that would wait on itself.
    pub fn write_blocking<T, F>(&self, f: F) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, StorageError> + Send + 'static,
    {
        let Some(writer) = &self.writer else {
            let value = self.commit_unflushed(f)?;
            if let Some(flusher) = &self.flusher {
                let (tx, rx) = mpsc::sync_channel(1);
                flusher
                    .send(Box::new(move |r| {
                        let _ = tx.send(r);
                    }))
                    .map_err(|_| StorageError::Task("the WAL flusher has stopped".into()))?;
                rx.recv()
                    .map_err(|_| StorageError::Task("the WAL flusher has stopped".into()))?
                    .map_err(StorageError::Unavailable)?;
            }
            return Ok(value);
        };
        let (tx, rx) = mpsc::sync_channel(1);
        writer
            .send(job(f, move |r| {
                let _ = tx.send(r);
            }))
            .map_err(|_| StorageError::Task("the SQLite writer has stopped".into()))?;
        rx.recv()
            .map_err(|_| StorageError::Task("the write panicked".into()))?
    }
}

/// Runs `f` in a savepoint inside the caller's write: if it fails, only its own changes are
/// rolled back and the rest of the transaction goes on (on PostgreSQL a failed statement would
/// otherwise abort the whole transaction).
pub fn savepoint<T>(
    conn: &mut DbConn,
    f: impl FnOnce(&mut DbConn) -> Result<T, StorageError>,
) -> Result<T, StorageError> {
    conn.transaction(f)
}

/// Wraps a write for the writer thread: `f` runs in its own savepoint (an error rolls back
/// this write only), and `answer` gets its result once the group's commit is known.
fn job<T, F, A>(f: F, answer: A) -> Job
where
    T: Send + 'static,
    F: FnOnce(&mut DbConn) -> Result<T, StorageError> + Send + 'static,
    A: FnOnce(Result<T, StorageError>) + Send + 'static,
{
    Box::new(move |c: &mut DbConn| {
        let result = c.transaction(|c| f(c));
        Box::new(move |commit: Result<(), String>| {
            answer(commit.map_err(StorageError::Unavailable).and(result))
        })
    })
}

/// Opens the SQLite writer's own connection and starts the writer and checkpointer threads.
fn spawn_sqlite_writer(
    path: &str,
    commits: std::sync::Arc<tokio::sync::watch::Sender<u64>>,
) -> Result<mpsc::Sender<Job>, StorageError> {
    let owned = path.to_owned();
    let open = move || -> Result<DbConn, StorageError> {
        let path = owned.as_str();
        let mut conn = SqliteConnection::establish(path)
            .map_err(|e| StorageError::Unavailable(format!("cannot open {path}: {e}")))?;
        // Checkpoints are the checkpointer's job, not the writer's.
        conn.batch_execute(
            "PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL; \
             PRAGMA foreign_keys = ON; PRAGMA wal_autocheckpoint = 0;",
        )
        .map_err(|e| StorageError::Unavailable(format!("cannot set up {path}: {e}")))?;
        Ok(DbConn::Sqlite(conn))
    };
    let conn = open()?;
    let mut checkpointer = SqliteConnection::establish(path)
        .map_err(|e| StorageError::Unavailable(format!("cannot open {path}: {e}")))?;
    let (tx, rx) = mpsc::channel::<Job>();
    let (wrote, wakeup) = mpsc::sync_channel::<()>(1);
    std::thread::Builder::new()
        .name("sqlite-writer".into())
        .spawn(move || writer_loop(conn, rx, open, wrote, commits))
        .map_err(|e| StorageError::Task(e.to_string()))?;
    std::thread::Builder::new()
        .name("sqlite-checkpoint".into())
        .spawn(move || {
            // After writes, at most once every 200 ms; passive, so it never blocks the writer
            // or readers. Ends when the writer does.
            while wakeup.recv().is_ok() {
                if let Err(e) = checkpointer.batch_execute("PRAGMA wal_checkpoint(PASSIVE);") {
                    tracing::debug!(error = %e, "WAL checkpoint failed");
                }
                std::thread::sleep(Duration::from_millis(200));
            }
        })
        .map_err(|e| StorageError::Task(e.to_string()))?;
    Ok(tx)
}

/// The SQLite writer: commits queued writes in groups until every [`Db`] is dropped.
fn writer_loop(
    mut conn: DbConn,
    jobs: mpsc::Receiver<Job>,
    reopen: impl Fn() -> Result<DbConn, StorageError>,
    wrote: mpsc::SyncSender<()>,
    commits: std::sync::Arc<tokio::sync::watch::Sender<u64>>,
) {
    while let Ok(first) = jobs.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match jobs.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        let mut completions: Vec<Completion> = Vec::with_capacity(group.len());
        let mut panicked = false;
        let committed = conn.transaction(|c| {
            for job in group {
                match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(c))) {
                    Ok(done) => completions.push(done),
                    Err(_) => {
                        // The panicking caller sees its answer channel closed; the others
                        // are rolled back with it, since the savepoint state is unknown.
                        panicked = true;
                        return Err(diesel::result::Error::RollbackTransaction);
                    }
                }
            }
            Ok(())
        });
        let outcome = match (&committed, panicked) {
            (_, true) => Err("another write in the same group panicked; retry".to_owned()),
            (Ok(()), false) => Ok(()),
            (Err(e), false) => Err(format!("commit failed: {e}")),
        };
        if outcome.is_ok() {
            commits.send_modify(|n| *n = n.wrapping_add(1));
        }
        for done in completions {
            done(outcome.clone());
        }
        if panicked || committed.is_err() {
            // Start over on a clean connection rather than trust its transaction state.
            match reopen() {
                Ok(fresh) => conn = fresh,
                Err(e) => tracing::error!(error = %e, "cannot reopen the SQLite writer"),
            }
        }
        let _ = wrote.try_send(());
    }
}

/// Starts the PostgreSQL WAL flusher thread (see the module documentation).
fn spawn_pg_flusher(url: &str) -> Result<mpsc::Sender<Completion>, StorageError> {
    let url = url.to_owned();
    let (tx, rx) = mpsc::channel::<Completion>();
    std::thread::Builder::new()
        .name("pg-wal-flusher".into())
        .spawn(move || {
            let mut conn: Option<PgConnection> = None;
            while let Ok(first) = rx.recv() {
                let mut waiters = vec![first];
                waiters.extend(rx.try_iter());
                let outcome = flush(&url, &mut conn);
                if outcome.is_err() {
                    conn = None;
                }
                for answer in waiters {
                    answer(outcome.clone());
                }
            }
        })
        .map_err(|e| StorageError::Task(e.to_string()))?;
    Ok(tx)
}

/// One synchronous commit that writes WAL, so that everything committed before it is durable.
fn flush(url: &str, conn: &mut Option<PgConnection>) -> Result<(), String> {
    let conn = match conn {
        Some(c) => c,
        None => {
            let mut c = PgConnection::establish(url).map_err(|e| e.to_string())?;
            c.batch_execute("SET synchronous_commit = on")
                .map_err(|e| e.to_string())?;
            conn.insert(c)
        }
    };
    conn.batch_execute("UPDATE wal_barrier SET flushes = flushes + 1 WHERE id = 1")
        .map_err(|e| format!("WAL flush failed: {e}"))
}

impl From<diesel_migrations::MigrationError> for StorageError {
    fn from(e: diesel_migrations::MigrationError) -> Self {
        StorageError::Migration(e.to_string())
    }
}
