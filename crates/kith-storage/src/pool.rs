//! Connections: one pool type over SQLite (the embedded default) and PostgreSQL, chosen by the
//! database URL, with migrations embedded for each backend.
//!
//! Diesel is blocking, so every query runs on tokio's blocking pool through [`Db::read`] and
//! [`Db::write`]; nothing here may be called from an async thread directly. SQLite allows one
//! writer at a time: `write` takes a process-wide lock for SQLite so that write transactions queue
//! here instead of failing with `SQLITE_BUSY`, and `busy_timeout` covers other processes (the CLI).

use crate::StorageError;
use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool, PooledConnection};
use diesel::{Connection, PgConnection, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::sync::{Arc, Mutex};
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
struct SqlitePragmas;

impl CustomizeConnection<DbConn, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut DbConn) -> Result<(), diesel::r2d2::Error> {
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

/// A pooled database handle; cheap to clone.
#[derive(Clone)]
pub struct Db {
    pool: Pool<ConnectionManager<DbConn>>,
    backend: Backend,
    /// Serialises write transactions on SQLite; unused on PostgreSQL.
    write_lock: Arc<Mutex<()>>,
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
        let manager = ConnectionManager::<DbConn>::new(manager_url);
        let mut builder = Pool::builder()
            .max_size(max_connections.max(1))
            // No connections opened ahead of demand: a background connect still in progress
            // when a short command exits races libpq's TLS against OpenSSL's teardown (seen as
            // a crash at exit on PostgreSQL).
            .min_idle(Some(0))
            .connection_timeout(Duration::from_secs(10));
        if backend == Backend::Sqlite {
            builder = builder.connection_customizer(Box::new(SqlitePragmas));
        }
        let pool = builder
            .build(manager)
            .map_err(|e| StorageError::Unavailable(e.to_string()))?;
        Ok(Db {
            pool,
            backend,
            write_lock: Arc::new(Mutex::new(())),
        })
    }

    /// Which backend this pool talks to.
    pub fn backend(&self) -> Backend {
        self.backend
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
        let source = match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS,
            Backend::Postgres => POSTGRES_MIGRATIONS,
        };
        let applied = conn
            .run_pending_migrations(source)
            .map_err(|e| StorageError::Migration(e.to_string()))?;
        Ok(applied.iter().map(|v| v.to_string()).collect())
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
        tokio::task::spawn_blocking(move || db.write_blocking(f))
            .await
            .map_err(|e| StorageError::Task(e.to_string()))?
    }

    /// The blocking form of [`Db::write`], for the command line and tests.
    pub fn write_blocking<T, F>(&self, f: F) -> Result<T, StorageError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, StorageError>,
    {
        // Lock before taking a connection, so queued writers do not hold pooled connections
        // that readers need.
        let _guard = match self.backend {
            Backend::Sqlite => Some(self.write_lock.lock().unwrap_or_else(|p| p.into_inner())),
            Backend::Postgres => None,
        };
        let mut conn = self.conn()?;
        conn.transaction(|c: &mut PooledConn| f(c))
    }
}

impl From<diesel_migrations::MigrationError> for StorageError {
    fn from(e: diesel_migrations::MigrationError) -> Self {
        StorageError::Migration(e.to_string())
    }
}
