//! Request counters for the client-API rate limits: one row per bucket (a token, an account or
//! an address, for one kind of request) holding the hits of its current fixed window. In the
//! database so that every Kith process sharing it counts the same; one statement per request
//! (`hit`), whatever the number of buckets it counts against.

use crate::pool::DbConn;
use crate::schema::rate_limits;
use crate::StorageError;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

/// One bucket a request counts against: its key and the start (Unix seconds) of the window
/// the request falls in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub bucket: String,
    pub window_start: i64,
}

#[derive(QueryableByName)]
struct Counted {
    #[diesel(sql_type = Text)]
    bucket: String,
    #[diesel(sql_type = BigInt)]
    hits: i64,
}

/// Counts one request against each of `hits` (distinct buckets), in one statement, and returns
/// each bucket's count in its window, this request included, in the order given. A bucket
/// whose stored window is older starts again at 1; one whose stored window is newer (another
/// process's clock ahead) keeps counting in that window.
pub fn hit(conn: &mut DbConn, hits: &[Hit]) -> Result<Vec<i64>, StorageError> {
    if hits.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<Counted> = match conn {
        DbConn::Postgresql(pg) => {
            let values: Vec<String> = (0..hits.len())
                .map(|i| format!("(${}, ${}, 1)", 2 * i + 1, 2 * i + 2))
                .collect();
            let sql = format!(
                "INSERT INTO rate_limits (bucket, window_start, hits) VALUES {} \
                 ON CONFLICT (bucket) DO UPDATE SET \
                 hits = CASE WHEN rate_limits.window_start >= excluded.window_start \
                 THEN rate_limits.hits + 1 ELSE 1 END, \
                 window_start = GREATEST(rate_limits.window_start, excluded.window_start) \
                 RETURNING bucket, hits",
                values.join(", ")
            );
            let mut q = diesel::sql_query(sql).into_boxed::<diesel::pg::Pg>();
            for h in hits {
                q = q
                    .bind::<Text, _>(h.bucket.clone())
                    .bind::<BigInt, _>(h.window_start);
            }
            q.load(pg)?
        }
        DbConn::Sqlite(lite) => {
            let values = vec!["(?, ?, 1)"; hits.len()].join(", ");
            let sql = format!(
                "INSERT INTO rate_limits (bucket, window_start, hits) VALUES {values} \
                 ON CONFLICT (bucket) DO UPDATE SET \
                 hits = CASE WHEN rate_limits.window_start >= excluded.window_start \
                 THEN rate_limits.hits + 1 ELSE 1 END, \
                 window_start = MAX(rate_limits.window_start, excluded.window_start) \
                 RETURNING bucket, hits"
            );
            let mut q = diesel::sql_query(sql).into_boxed::<diesel::sqlite::Sqlite>();
            for h in hits {
                q = q
                    .bind::<Text, _>(h.bucket.clone())
                    .bind::<BigInt, _>(h.window_start);
            }
            q.load(lite)?
        }
    };
    Ok(hits
        .iter()
        .map(|h| {
            rows.iter()
                .find(|r| r.bucket == h.bucket)
                .map_or(1, |r| r.hits)
        })
        .collect())
}

/// Deletes buckets whose window started before `before` (Unix seconds); returns how many.
pub fn prune(conn: &mut DbConn, before: i64) -> Result<usize, StorageError> {
    Ok(
        diesel::delete(rate_limits::table.filter(rate_limits::window_start.lt(before)))
            .execute(conn)?,
    )
}

/// The count stored for `bucket` and its window's start, if any (for tests and tools).
pub fn get(conn: &mut DbConn, bucket: &str) -> Result<Option<(i64, i64)>, StorageError> {
    Ok(rate_limits::table
        .filter(rate_limits::bucket.eq(bucket))
        .select((rate_limits::window_start, rate_limits::hits))
        .first(conn)
        .optional()?)
}
