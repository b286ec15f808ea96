//! Periodic upkeep that several processes sharing one database may all attempt: a write takes
//! [`try_lock`] first, so at most one of them does a given job at a time (PostgreSQL advisory
//! transaction locks; on SQLite one process owns the file and the lock is always granted).

use crate::pool::DbConn;
use crate::StorageError;
use diesel::prelude::*;

diesel::define_sql_function! {
    /// PostgreSQL: takes an advisory lock until the end of the transaction, if it is free.
    fn pg_try_advisory_xact_lock(key: diesel::sql_types::BigInt) -> diesel::sql_types::Bool;
}

/// Takes the lock named `key` for the rest of the current transaction (call inside
/// `Db::write`); false if another process holds it.
pub fn try_lock(conn: &mut DbConn, key: i64) -> Result<bool, StorageError> {
    match conn {
        DbConn::Postgresql(pg) => {
            Ok(diesel::select(pg_try_advisory_xact_lock(key)).get_result::<bool>(pg)?)
        }
        DbConn::Sqlite(_) => Ok(true),
    }
}
