//! `Flag` activities from other servers that name no local account, kept as they came (who sent
//! them, everything they named, the comment) and never acted on. A Flag that names a local
//! account becomes a report instead (`kith_federation::flags::receive_flag`).

use crate::pool::DbConn;
use crate::schema::received_flags;
use crate::StorageError;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// One received report.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = received_flags)]
pub struct ReceivedFlag {
    pub id: i64,
    pub ap_id: String,
    pub origin_domain: String,
    pub actor_ap_id: String,
    pub account_id: Option<i64>,
    /// JSON array of local status ids (as strings).
    pub status_ids: String,
    /// JSON array of every URI the Flag named.
    pub object_uris: String,
    pub comment: String,
    pub created_at: NaiveDateTime,
}

/// Stores a received report; a Flag already stored (same id) is kept once.
pub fn insert(conn: &mut DbConn, flag: &ReceivedFlag) -> Result<(), StorageError> {
    let seen: i64 = received_flags::table
        .filter(received_flags::ap_id.eq(&flag.ap_id))
        .count()
        .get_result(conn)?;
    if seen == 0 {
        diesel::insert_into(received_flags::table)
            .values(flag)
            .execute(conn)?;
    }
    Ok(())
}

/// Every received report, newest first.
pub fn list(conn: &mut DbConn) -> Result<Vec<ReceivedFlag>, StorageError> {
    Ok(received_flags::table
        .order(received_flags::id.desc())
        .select(ReceivedFlag::as_select())
        .load(conn)?)
}
