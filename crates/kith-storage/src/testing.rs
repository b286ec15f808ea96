//! Throwaway databases for tests, on both backends: a fresh SQLite file in a temporary
//! directory, or a fresh PostgreSQL database that is dropped when the handle is dropped.
//!
//! PostgreSQL is found at `KITH_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`, the machine's server with trust auth).
//! `KITH_TEST_BACKENDS=sqlite` limits a local run to SQLite; CI runs both.

use diesel::{Connection, PgConnection, RunQueryDsl};

/// The default administrative URL of the test PostgreSQL server.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database that exists for as long as this value does.
pub struct TestDatabase {
    /// URL to give to [`crate::Db::connect`] or `KITH_DATABASE_URL`.
    pub url: String,
    /// Which backend it is.
    pub backend: crate::Backend,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

impl std::fmt::Debug for TestDatabase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TestDatabase({:?})", self.backend)
    }
}

fn admin_url() -> String {
    std::env::var("KITH_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned())
}

impl TestDatabase {
    /// A fresh SQLite database file.
    pub fn sqlite() -> TestDatabase {
        let dir = tempfile::tempdir().expect("create temporary directory");
        let url = format!("sqlite://{}", dir.path().join("kith.db").display());
        TestDatabase {
            url,
            backend: crate::Backend::Sqlite,
            _dir: Some(dir),
            pg: None,
        }
    }

    /// A fresh PostgreSQL database on the test server. Panics with a clear message when the
    /// server cannot be reached, since the suite is meant to run on both backends.
    pub fn postgres() -> TestDatabase {
        let admin = admin_url();
        let name = format!("kith_test_{:016x}", rand::random::<u64>());
        let mut conn = PgConnection::establish(&admin).unwrap_or_else(|e| {
            panic!("PostgreSQL test server at {admin} unreachable ({e}); set KITH_TEST_POSTGRES_URL or KITH_TEST_BACKENDS=sqlite")
        });
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .expect("create test database");
        let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
        TestDatabase {
            url: format!("{base}/{name}"),
            backend: crate::Backend::Postgres,
            _dir: None,
            pg: Some((admin, name)),
        }
    }

    /// One database per backend that this test run covers (both unless
    /// `KITH_TEST_BACKENDS` says otherwise).
    pub fn each_backend() -> Vec<TestDatabase> {
        let wanted =
            std::env::var("KITH_TEST_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
        let mut out = Vec::new();
        if wanted.contains("sqlite") {
            out.push(TestDatabase::sqlite());
        }
        if wanted.contains("postgres") {
            out.push(TestDatabase::postgres());
        }
        out
    }

    /// Connects and migrates.
    pub fn open(&self) -> crate::Db {
        let db = crate::Db::connect(&self.url, 4).expect("connect to test database");
        db.migrate().expect("migrate test database");
        db
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.pg {
            if let Ok(mut conn) = PgConnection::establish(admin) {
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn);
            }
        }
    }
}
