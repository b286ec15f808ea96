//! Kith's storage layer: the schema, row types and queries, and the migrations runner, for
//! SQLite (the embedded default) and PostgreSQL.
//!
//! Invariants: this crate knows no wire format (no ActivityStreams, no Mastodon JSON) and no
//! HTTP; rows are plain structs that are never serialized to clients. Queries are plain
//! functions over `&mut DbConn`, composed into transactions by the layers above through
//! [`Db::read`] and [`Db::write`].

pub mod accounts;
pub mod activity;
pub mod announcements;
pub mod console_sessions;
pub mod conversations;
pub mod custom_emojis;
pub mod domain_policies;
mod error;
pub mod filters;
pub mod follows;
pub mod housekeeping;
pub mod id;
pub mod idempotency;
pub mod lists;
pub mod login_failures;
pub mod markers;
pub mod marks;
pub mod media;
pub mod moderation;
pub mod mutes;
pub mod oauth;
pub mod outbox;
pub mod polls;
mod pool;
pub mod profiles;
pub mod rate_limits;
pub mod received_flags;
pub mod remote_emojis;
pub mod scheduled;
pub mod schema;
pub mod settings;
pub mod sharing;
pub mod shields;
pub mod statuses;
pub mod stream_events;
pub mod tags;
pub mod testing;
pub mod users;

pub use error::{OptionalExt, StorageError};
pub use pool::{savepoint, Backend, Db, DbConn, MultiBackend, PooledConn};

/// The current time as stored (UTC, without a zone, microsecond precision on both backends).
pub fn now() -> chrono::NaiveDateTime {
    let now = chrono::Utc::now().naive_utc();
    // PostgreSQL keeps microseconds; truncate so a row reads back equal to what was written.
    chrono::DurationRound::duration_trunc(now, chrono::Duration::microseconds(1)).unwrap_or(now)
}

/// `SUM(CASE WHEN account_id = viewer THEN 1 ELSE 0 END)` over a grouped query's rows: how many
/// of them are the viewer's (0 without a viewer). Both backends read it the same way.
macro_rules! count_where_account {
    ($viewer:expr) => {
        diesel::dsl::sql::<diesel::sql_types::BigInt>("CAST(COALESCE(SUM(CASE WHEN account_id = ")
            .bind::<diesel::sql_types::BigInt, _>($viewer.unwrap_or(-1))
            .sql(" THEN 1 ELSE 0 END), 0) AS BIGINT)")
    };
}
pub(crate) use count_where_account;
