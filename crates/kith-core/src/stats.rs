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

/// One week of activity here, as Mastodon's `instance/activity` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeekActivity {
    /// Monday 00:00 UTC starting the week.
    pub week: chrono::DateTime<chrono::Utc>,
    /// Posts made here that week.
    pub statuses: i64,
    /// People who signed in (were issued a token) that week.
    pub logins: i64,
    /// People who registered that week.
    pub registrations: i64,
}

/// The last `weeks` weeks (weeks start on Monday, UTC), the current one first, counted from
/// statuses (along their time-ordered ids), tokens issued, and users created.
pub async fn weekly_activity(db: &Db, weeks: u32) -> Result<Vec<WeekActivity>, CoreError> {
    use chrono::{Datelike, Duration, NaiveTime, Utc};
    let today = Utc::now().date_naive();
    let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
    let start = monday.and_time(NaiveTime::MIN).and_utc();
    Ok(db
        .read(move |c| {
            (0..weeks)
                .map(|n| {
                    let from = start - Duration::weeks(i64::from(n));
                    let to = from + Duration::weeks(1);
                    let (f, t) = (from.naive_utc(), to.naive_utc());
                    Ok(WeekActivity {
                        week: from,
                        statuses: statuses::count_local_in(
                            c,
                            kith_storage::id::min_id_at(from),
                            kith_storage::id::min_id_at(to),
                        )?,
                        logins: kith_storage::oauth::count_logins_between(c, f, t)?,
                        registrations: users::count_registered_between(c, f, t)?,
                    })
                })
                .collect()
        })
        .await?)
}
