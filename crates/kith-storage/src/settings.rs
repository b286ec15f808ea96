//! Instance settings fixed in the database (`instance_settings`, name → value), such as the
//! base URL that the instance's ids were built on at its first start.

use crate::pool::DbConn;
use crate::schema::instance_settings;
use crate::StorageError;
use diesel::prelude::*;

/// The name of the setting that holds the base URL (scheme and domain) of the instance's ids.
pub const BASE_URL: &str = "base_url";

/// The value of a setting, if it is set.
pub fn get(conn: &mut DbConn, name: &str) -> Result<Option<String>, StorageError> {
    Ok(instance_settings::table
        .find(name)
        .select(instance_settings::value)
        .first(conn)
        .optional()?)
}

/// Sets `name` to `value` unless it is set already; returns the value it has afterwards.
pub fn get_or_set(conn: &mut DbConn, name: &str, value: &str) -> Result<String, StorageError> {
    let insert = diesel::insert_into(instance_settings::table)
        .values((
            instance_settings::name.eq(name),
            instance_settings::value.eq(value),
        ))
        .on_conflict_do_nothing();
    match conn {
        DbConn::Postgresql(pg) => insert.execute(pg)?,
        DbConn::Sqlite(lite) => insert.execute(lite)?,
    };
    get(conn, name)?.ok_or(StorageError::NotFound)
}
