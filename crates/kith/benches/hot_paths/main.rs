//! Kith's hot paths, measured against real `kith serve` processes (release build) on loopback,
//! each figure printed with a ceiling measured in the same run on the same machine where one
//! applies, as a ratio: these machines are shared and noisy, ratios hold where absolute
//! numbers drift. It asserts nothing about speed: it measures and prints.
//!
//!     cargo bench -p kith --bench hot_paths                  # everything, both backends
//!     cargo bench -p kith --bench hot_paths -- --smoke       # a few seconds' worth
//!     cargo bench -p kith --bench hot_paths -- inbox         # only some: inbox, delivery, timeline, streaming, rate_limits
//!     KITH_BENCH_SMOKE=1 cargo test -p kith --bench hot_paths   # smoke, debug build (CI)
//!
//! `KITH_TEST_BACKENDS=sqlite` (or `postgres`) limits it to one backend.

// Test code: unwraps are assertions here, and helpers' `pub` marks what sibling modules use.
#![allow(clippy::unwrap_used, unreachable_pub)]

/// Inserts many rows on the concrete connection (diesel's `MultiConnection` has no batch
/// insert): multi-row statements on PostgreSQL, where each statement is a round trip, and
/// one statement per row on SQLite, which is in-process (and whose batch insert refuses
/// rows with optional columns).
macro_rules! insert_rows {
    ($conn:expr, $table:expr, $rows:expr) => {{
        use diesel::RunQueryDsl;
        match $conn {
            kith_storage::DbConn::Sqlite(c) => $rows.iter().try_for_each(|r| {
                diesel::insert_into($table)
                    .values(r.clone())
                    .execute(c)
                    .map(|_| ())
            }),
            kith_storage::DbConn::Postgresql(c) => diesel::insert_into($table)
                .values($rows)
                .execute(c)
                .map(|_| ()),
        }
        .map_err(kith_storage::StorageError::from)
    }};
}

mod common;
mod delivery;
mod inbox;
mod rate_limits;
mod streaming;
mod timeline;

use kith_storage::testing::TestDatabase;

/// How big each benchmark is.
pub struct Settings {
    /// Remote actors signing activities.
    pub actors: usize,
    /// Activities in the inbox throughput run.
    pub activities: usize,
    /// Requests in flight in the inbox throughput run.
    pub concurrency: usize,
    /// Seconds of paced sending at half the measured rate.
    pub paced_secs: f64,
    /// Activities and senders in flight beyond the bounded queue.
    pub flood: usize,
    pub flood_concurrency: usize,
    /// Statuses seeded for the timeline and start figures, by how many authors.
    pub statuses: usize,
    pub authors: usize,
    /// Accounts the timeline reader follows.
    pub follows: usize,
    /// Inbox posts per second while the timeline is read, and for how long.
    pub ingest_rate: f64,
    pub ingest_secs: f64,
    /// Fan-out: followers, the instances they are on, and how many of those are slow or dead.
    pub followers: usize,
    pub instances: usize,
    pub slow: usize,
    pub dead: usize,
    /// Posts in the delivery throughput run.
    pub delivery_posts: usize,
    /// WebSocket clients on the `public` stream, and posts fanned out to them.
    pub stream_clients: usize,
    pub stream_posts: usize,
    /// API requests timed with rate limiting off and on.
    pub api_requests: usize,
}

#[tokio::main]
async fn main() {
    // `--smoke` (or KITH_BENCH_SMOKE=1, for `cargo test --bench hot_paths` in CI) runs a few
    // seconds' worth, to keep the harness from rotting; its figures mean little.
    let args: Vec<String> = std::env::args().skip(1).collect();
    let smoke =
        args.iter().any(|a| a == "--smoke") || std::env::var_os("KITH_BENCH_SMOKE").is_some();
    let only: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| ["inbox", "delivery", "timeline", "streaming", "rate_limits"].contains(a))
        .collect();
    let wanted = |name: &str| only.is_empty() || only.contains(&name);
    let s = if smoke {
        Settings {
            actors: 4,
            activities: 200,
            concurrency: 16,
            paced_secs: 0.5,
            flood: 100,
            flood_concurrency: 64,
            statuses: 5_000,
            authors: 100,
            follows: 20,
            ingest_rate: 50.0,
            ingest_secs: 1.0,
            followers: 100,
            instances: 20,
            slow: 2,
            dead: 2,
            delivery_posts: 3,
            stream_clients: 20,
            stream_posts: 2,
            api_requests: 300,
        }
    } else {
        Settings {
            actors: 50,
            activities: 5_000,
            concurrency: 64,
            paced_secs: 3.0,
            flood: 3_000,
            flood_concurrency: 1_024,
            statuses: 1_000_000,
            authors: 5_000,
            follows: 500,
            ingest_rate: 500.0,
            ingest_secs: 10.0,
            followers: 10_000,
            instances: 1_000,
            slow: 20,
            dead: 10,
            delivery_posts: 10,
            stream_clients: 1_000,
            stream_posts: 5,
            api_requests: 20_000,
        }
    };
    println!(
        "kith hot-path benchmarks ({} mode)",
        if smoke { "smoke" } else { "full" }
    );
    for db in TestDatabase::each_backend() {
        let backend = format!("{:?}", db.backend).to_lowercase();
        if wanted("inbox") {
            inbox::run(&backend, &db.url, &s).await;
        }
    }
    for db in TestDatabase::each_backend() {
        let backend = format!("{:?}", db.backend).to_lowercase();
        if wanted("delivery") {
            delivery::run(&backend, &db.url, &s).await;
        }
    }
    for db in TestDatabase::each_backend() {
        let backend = format!("{:?}", db.backend).to_lowercase();
        if wanted("timeline") {
            timeline::run(&backend, &db.url, &s).await;
        }
    }
    for db in TestDatabase::each_backend() {
        let backend = format!("{:?}", db.backend).to_lowercase();
        if wanted("streaming") {
            streaming::run(&backend, &db.url, &s).await;
        }
    }
    for db in TestDatabase::each_backend() {
        let backend = format!("{:?}", db.backend).to_lowercase();
        if wanted("rate_limits") {
            rate_limits::run(&backend, &db.url, &s).await;
        }
    }
}
