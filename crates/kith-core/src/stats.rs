//! Counts the instance publishes (NodeInfo, `/api/v1/instance`).

use crate::CoreError;
use kith_storage::{accounts, statuses, users, Db};

/// Instance-wide counts.
#[derive(Debug, Clone, Copy, Default)]
pub struct InstanceStats {
    /// Local people.
    pub users: i64,
    /// Local people active (signed in or issued a token) in the last 30 days.
    pub active_month: i64,
    /// … in the last 180 days.
    pub active_halfyear: i64,
    /// Posts made here.
    pub local_posts: i64,
    /// Other instances with accounts we know.
    pub domains: i64,
}

/// Reads the counts in one blocking task.
pub async fn instance_stats(db: &Db) -> Result<InstanceStats, CoreError> {
    let now = chrono::Utc::now().naive_utc();
    Ok(db
        .read(move |c| {
            Ok(InstanceStats {
                users: accounts::count_local_people(c)?,
                active_month: users::count_active_since(c, now - chrono::Duration::days(30))?,
                active_halfyear: users::count_active_since(c, now - chrono::Duration::days(180))?,
                local_posts: statuses::count_local(c)?,
                domains: accounts::count_known_domains(c)?,
            })
        })
        .await?)
}
